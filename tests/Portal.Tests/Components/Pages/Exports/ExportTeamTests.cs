using Bunit;
using MudBlazor;
using Portal.Components.Pages.Exports;
using Portal.Exports;

namespace Portal.Tests.Components.Pages.Exports;

/// <summary>Teams and shares on the export pages: the team chosen for a new export, and an export page whose access ends.</summary>
public class ExportTeamTests : ExportTestContext
{
    private const string Fleet = "Fleet analytics";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void AUserInNoTeamIsNotAskedForOne()
    {
        var page = Render<NewExport>();

        page.WaitForElement("[data-testid=submit-export]", Wait);
        Assert.Empty(page.FindAll("[data-testid=export-team]"));
    }

    [Fact]
    public async Task TheFormStartsWithTheTeamOfTheLastExportAndSubmitsTheOneChosen()
    {
        SignInAs(UserId, UserName, teams: [Fleet, "Billing"]);
        Service.LastTeam = "Billing";
        var page = Render<NewExport>();

        var select = page.WaitForElement("select[data-testid=export-team]", Wait);
        Assert.Equal(["", Fleet, "Billing"], select.QuerySelectorAll("option").Select(o => o.GetAttribute("value")));
        Assert.Equal("Billing", select.GetAttribute("value"));

        // What a browser's select sends on a change: the chosen option's value.
        await select.ChangeAsync(new() { Value = Fleet });
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal([Fleet], Service.SubmittedTeams);
    }

    [Fact]
    public async Task JustMeSubmitsNoTeamAndALastTeamTheUserLeftIsNotOffered()
    {
        SignInAs(UserId, UserName, teams: [Fleet]);
        Service.LastTeam = "A team the user left";
        var page = Render<NewExport>();

        var select = page.WaitForElement("select[data-testid=export-team]", Wait);
        Assert.Equal("", select.GetAttribute("value"));
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal([null], Service.SubmittedTeams);
    }

    [Fact]
    public void AMemberReadsATeamsExportButNeitherCancelsNorSharesIt()
    {
        SignInAs(UserId, UserName, teams: [Fleet]);
        var export = AddExport(ExportStatus.InProgress, ownerId: "colleague", ownerName: "Cole Colleague") with { Team = Fleet };
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [], []);

        var page = RenderPage(export.Id);

        Assert.Contains(Fleet, page.Find("[data-testid=export-parameters]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=cancel-export]"));
        Assert.Empty(page.FindAll("[data-testid=export-shares]"));
    }

    [Fact]
    public async Task TheRequesterSharesWithAColleagueAndTakesItBack()
    {
        var export = AddExport(ExportStatus.Completed);
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [], []);
        var page = RenderPage(export.Id);
        Assert.NotNull(page.Find("[data-testid=shares-none]"));
        Assert.Empty(page.FindAll("input[data-testid=share-users]"));

        await page.Find("button[data-testid=share-open]").ClickAsync(new());

        await page.Find("input[data-testid=share-users]").InputAsync(new() { Value = "cole@example.test" });
        await page.Find("button[data-testid=share-export]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("cole@example.test", page.Find("[data-testid=share]").GetAttribute("data-user")), Wait);
        Assert.Contains("cole@example.test", Service.SharedWith[export.Id]);

        await page.Find("button[data-testid=unshare]").ClickAsync(new());
        page.WaitForElement("[data-testid=shares-none]", Wait);
        Assert.Empty(Service.SharedWith[export.Id]);
    }

    [Fact]
    public async Task AnOpenPageSaysSoWhenItsShareIsTakenBack()
    {
        SignInAs("colleague", "Cole Colleague");
        var export = AddExport(ExportStatus.Completed);
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [], []);
        Service.SharedWith[export.Id] = ["colleague"];
        var page = RenderPage(export.Id);
        Assert.Equal("Completed", page.Find("[data-testid=export-status]").GetAttribute("data-status"));

        Service.SharedWith[export.Id].Clear();
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.Completed, ExportStatus.Completed, Clock.GetUtcNow(), "Unshared", null, 0, 2)
        {
            AccessChangedFor = "colleague",
        }, Xunit.TestContext.Current.CancellationToken);

        page.WaitForElement("[data-testid=export-access-ended]", Wait);
        Assert.Empty(page.FindAll("[data-testid=export-status]"));
    }

    private IRenderedComponent<ExportPage> RenderPage(Guid id)
    {
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        return Render<ExportPage>(p => p.Add(c => c.Id, id));
    }
}
