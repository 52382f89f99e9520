using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Layout;
using Portal.Components.Pages.Exports;
using Portal.Components.Shared;
using Portal.Exports;
using TestContext = Xunit.TestContext;

namespace Portal.Tests.Components.Pages.Exports;

/// <summary>An export's name: given on the form, shown in the grid and on its page, and in the notices of its end.</summary>
public class ExportNameTests : ExportTestContext
{
    private const string DefaultName = "CSV · 27 Nov 12:00 – 28 Nov 12:00 UTC";

    [Fact]
    public async Task TheFormSubmitsTheNameTypedTrimmed()
    {
        var page = Render<NewExport>();

        page.Find("input[data-testid=export-name]").Input("  Fleet, Monday ");
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal(["Fleet, Monday"], Service.SubmittedNames);
    }

    [Fact]
    public async Task LeftEmptyTheNameIsTheFormatAndTheRangeAsTheFormShowsThem()
    {
        var page = Render<NewExport>();

        Assert.Equal(DefaultName, page.Find("input[data-testid=export-name]").GetAttribute("placeholder"));
        Assert.Contains($"Left empty, it is called \u201c{DefaultName}\u201d.", page.Markup, StringComparison.Ordinal);
        page.Find("input[data-testid=format-PARQUET]").Click();
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Equal(["PARQUET · 27 Nov 12:00 – 28 Nov 12:00 UTC"], Service.SubmittedNames);
    }

    [Fact]
    public async Task ANameWithALineBreakIsMarkedNextToTheFieldAndNothingIsSubmitted()
    {
        var page = Render<NewExport>();

        page.Find("input[data-testid=export-name]").Input("Fleet\nMonday");
        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Empty(Service.Submissions);
        Assert.Contains("The name may not contain line breaks, tabs or other control characters.", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Correct its name", page.Find("[data-testid=submit-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Fleet\nMonday", page.Find("input[data-testid=export-name]").GetAttribute("value"));
    }

    [Fact]
    public void ATooLongNameSaysHowLongItMayBe()
    {
        var page = Render<NewExport>();

        page.Find("input[data-testid=export-name]").Input(new string('n', 101));

        Assert.Contains("The name may be at most 100 characters long; this one has 101.", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void TheGridShowsEachExportsName()
    {
        var named = AddExport(ExportStatus.Completed) with { Name = "Fleet, Monday" };
        Service.Exports[0] = named;
        AddExport(ExportStatus.InProgress);
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();

        var grid = Render<ExportGrid>();

        var names = grid.FindAll("[data-testid=row-name]").Select(n => n.TextContent.Trim()).ToList();
        Assert.Equal("Fleet, Monday", names[0]);
        Assert.StartsWith("CSV · ", names[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheExportsPageIsHeadedByItsNameAndSaysInPlaceWhenItCompletes()
    {
        var export = AddExport(ExportStatus.InProgress) with { Name = "Fleet, Monday" };
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [], []);
        Render<MudPopoverProvider>();
        var page = Render<ExportPage>(p => p.Add(c => c.Id, export.Id));
        Assert.Equal("Fleet, Monday", page.Find("[data-testid=export-name-heading]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=export-ready]"));

        Service.Details[export.Id] = new ExportDetails(export with { Status = ExportStatus.Completed, FileCount = 1 }, null, null, null,
            [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(15))], []);
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60, 1),
            TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Contains("Your export is ready", page.Find("[data-testid=export-ready]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void AnExportThatWasAlreadyCompletedIsNotAnnouncedOnItsPage()
    {
        var export = AddExport(ExportStatus.Completed);
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [], []);
        Render<MudPopoverProvider>();

        var page = Render<ExportPage>(p => p.Add(c => c.Id, export.Id));

        Assert.Empty(page.FindAll("[data-testid=export-ready]"));
    }

    [Fact]
    public async Task ACompletionElsewhereShowsASnackbarThatNamesTheExportAndLinksToIt()
    {
        var snackbars = RenderBell();
        var exportId = Guid.NewGuid();
        Service.Notices.Add(new ExportNotice(1, exportId, ExportStatus.Completed, Clock.GetUtcNow(), "\u201cFleet, Monday\u201d is ready to download.", false));

        await Changes.PublishAsync(new ExportChanged(exportId, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60, 1),
            TestContext.Current.CancellationToken);

        snackbars.WaitForAssertion(() =>
        {
            var link = snackbars.Find("a[data-testid=snackbar-export-link]");
            Assert.Equal("\u201cFleet, Monday\u201d is ready to download.", link.TextContent.Trim());
            Assert.Equal($"exports/{exportId}", link.GetAttribute("href"));
        });
    }

    [Fact]
    public async Task OnTheExportsOwnPageItsCompletionShowsNoSnackbarButTheBellCountsIt()
    {
        var snackbars = RenderBell();
        var exportId = Guid.NewGuid();
        Services.GetRequiredService<NavigationManager>().NavigateTo($"exports/{exportId}");
        Service.Notices.Add(new ExportNotice(1, exportId, ExportStatus.Completed, Clock.GetUtcNow(), "\u201cFleet, Monday\u201d is ready to download.", false));

        await Changes.PublishAsync(new ExportChanged(exportId, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60, 1),
            TestContext.Current.CancellationToken);
        // Another export's completion on the same page is still announced, so the first one was looked at.
        var otherId = Guid.NewGuid();
        Service.Notices.Add(new ExportNotice(2, otherId, ExportStatus.Completed, Clock.GetUtcNow(), "\u201cDepot\u201d is ready to download.", false));
        await Changes.PublishAsync(new ExportChanged(otherId, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60, 1),
            TestContext.Current.CancellationToken);

        snackbars.WaitForAssertion(() => Assert.Contains("\u201cDepot\u201d", snackbars.Markup, StringComparison.Ordinal));
        Assert.DoesNotContain("Fleet, Monday", snackbars.Markup, StringComparison.Ordinal);
        Assert.Single(Services.GetRequiredService<ISnackbar>().ShownSnackbars);
    }

    private IRenderedComponent<MudSnackbarProvider> RenderBell()
    {
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Render<MudPopoverProvider>();
        var snackbars = Render<MudSnackbarProvider>();
        Render<NotificationBell>();
        return snackbars;
    }
}
