using Bunit;
using Portal.Components.Pages.Exports;
using Portal.Exports;

namespace Portal.Tests.Components.Pages.Exports;

/// <summary>The new-export form's "Deliver to": the user's destinations, none chosen by default, sent with the submission.</summary>
public class NewExportDeliveryTests : ExportTestContext
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void WithoutDestinationsTheFormSaysWhereToDefineOne()
    {
        var page = Render<NewExport>();

        var none = page.WaitForElement("[data-testid=deliver-to-none]", Wait);
        Assert.Equal("account/destinations", none.QuerySelector("a")!.GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=deliver-to]"));
    }

    [Fact]
    public async Task TheChosenDestinationsAreSubmittedWithTheExport()
    {
        var team = await AddDestinationAsync("Team storage");
        var archive = await AddDestinationAsync("Archive");
        await AddDestinationAsync("Someone else's", ownerId: "user-2");
        var page = Render<NewExport>();
        page.WaitForElement("[data-testid=deliver-to]", Wait);

        var options = page.FindAll("[data-testid=deliver-to-option]");
        Assert.Equal(["Team storage", "Archive"], options.Select(o => o.Closest("label")!.TextContent.Trim()));
        Assert.All(options, box => Assert.False(box.HasAttribute("checked")));

        page.Find($"[data-destination-id='{archive.Id}']").Change(true);
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal([archive.Id], Assert.Single(Service.SubmittedDestinations));
        Assert.NotEqual(team.Id, archive.Id);
    }

    [Fact]
    public async Task NothingChosenSubmitsNoDestination()
    {
        await AddDestinationAsync("Team storage");
        var page = Render<NewExport>();
        page.WaitForElement("[data-testid=deliver-to]", Wait);

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Empty(Assert.Single(Service.SubmittedDestinations));
    }

    [Fact]
    public async Task ADestinationRefusedOnSubmitIsExplainedUnderTheChoiceAndTheRangeStaysUsable()
    {
        var team = await AddDestinationAsync("Team storage");
        Service.NextSubmitOutcome = new SubmitOutcome.Invalid(new Dictionary<string, string[]> { ["destinations"] = [$"Destination {team.Id} was not found."] });
        var page = Render<NewExport>();
        page.WaitForElement("[data-testid=deliver-to]", Wait);
        page.Find($"[data-destination-id='{team.Id}']").Change(true);

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal($"Destination {team.Id} was not found.", page.Find("[data-testid=deliver-to-invalid]").TextContent.Trim());
        Assert.Contains("not submitted", page.Find("[data-testid=submit-error]").TextContent, StringComparison.Ordinal);
        Assert.False(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));

        page.Find($"[data-destination-id='{team.Id}']").Change(false);
        Assert.Empty(page.FindAll("[data-testid=deliver-to-invalid]"));
    }
}
