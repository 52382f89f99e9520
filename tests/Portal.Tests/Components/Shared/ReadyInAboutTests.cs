using Bunit;
using MudBlazor;
using Portal.Components.Pages.Exports;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Tests.Components.Shared;

public class ReadyInAboutTests : ExportTestContext
{
    private const long Day = 1440;

    /// <summary>p5 42 s, p50 50 s, p95 68 s.</summary>
    private void AddUsualCsvDays() => AddPreparationTimes(FileFormat.Csv, Day, 40, 50, 50, 60, 70);

    [Fact]
    public void WithoutSimilarHistoryItSaysThereIsNoEstimateYet()
    {
        // Plenty of history, but of another format and another span.
        AddPreparationTimes(FileFormat.Json, Day, 40, 50, 50, 60, 70);
        AddPreparationTimes(FileFormat.Csv, 60, 40, 50, 50, 60, 70);
        var export = AddExport(ExportStatus.InProgress, createdAt: Clock.GetUtcNow().AddHours(-3));

        var eta = Render<ReadyInAbout>(p => p.Add(r => r.Export, export));

        Assert.Equal("Ready in: no estimate yet", eta.Find("[data-testid=eta]").TextContent.Trim());
        Assert.Empty(eta.FindAll("[data-testid=slower-than-usual]"));
        Assert.Contains("indeterminate", eta.Find("[role=progressbar]").OuterHtml, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsTheUsualRangeOfSimilarRequestsWithAProgressBarAgainstIt()
    {
        AddUsualCsvDays();
        var export = AddExport(ExportStatus.InProgress, createdAt: Clock.GetUtcNow().AddSeconds(-34));

        var eta = Render<ReadyInAbout>(p => p.Add(r => r.Export, export));

        Assert.Equal("Usually ready in 40 s to 1 min 10 s", eta.Find("[data-testid=eta]").TextContent.Trim());
        Assert.Equal("50", eta.Find("[role=progressbar]").GetAttribute("aria-valuenow"));
        Assert.DoesNotContain("indeterminate", eta.Find("[role=progressbar]").OuterHtml, StringComparison.Ordinal);
        Assert.Empty(eta.FindAll("[data-testid=slower-than-usual]"));
    }

    [Fact]
    public void OnTheExportPageItTurnsIntoSlowerThanUsualOncePastThe95thPercentile()
    {
        AddUsualCsvDays();
        var export = AddExport(ExportStatus.InProgress, createdAt: Clock.GetUtcNow().AddSeconds(-67));
        Service.Details[export.Id] = new ExportDetails(export, null, "uuid", null, [], []);
        Render<MudPopoverProvider>();
        var page = Render<ExportPage>(p => p.Add(c => c.Id, export.Id));
        Assert.Contains("Usually ready in", page.Find("[data-testid=eta]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=slower-than-usual]"));

        // The page's clock ticks every second: no reload, no event needed.
        Clock.Advance(TimeSpan.FromSeconds(2));

        page.WaitForAssertion(() => Assert.Contains("Slower than usual", page.Find("[data-testid=slower-than-usual]").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5));
        Assert.Contains("open for 1 min 10 s", page.Find("[data-testid=slower-than-usual]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=eta]"));
    }

    [Fact]
    public void TheGridShowsTheEstimateOrTheFlagForOpenRequestsOnly()
    {
        AddUsualCsvDays();
        var onTime = AddExport(ExportStatus.Submitted, createdAt: Clock.GetUtcNow().AddSeconds(-10));
        var late = AddExport(ExportStatus.InProgress, createdAt: Clock.GetUtcNow().AddMinutes(-5));
        var done = AddExport(ExportStatus.Completed, fileCount: 1, createdAt: Clock.GetUtcNow().AddMinutes(-5));
        Render<MudPopoverProvider>();

        var grid = Render<ExportGrid>();

        var row = (ExportSummary e) => grid.Find($"tr[data-export-id='{e.Id}']");
        Assert.Equal("Usually ready in 40 s to 1 min 10 s", row(onTime).QuerySelector("[data-testid=eta]")!.TextContent.Trim());
        Assert.Null(row(onTime).QuerySelector("[data-testid=slower-than-usual]"));
        Assert.NotNull(row(late).QuerySelector("[data-testid=slower-than-usual]"));
        Assert.Null(row(late).QuerySelector("[data-testid=eta]"));
        Assert.Null(row(done).QuerySelector("[data-testid=eta]"));
        Assert.Null(row(done).QuerySelector("[data-testid=slower-than-usual]"));
    }

    [Fact]
    public void AdminsCanFilterTheGridForSlowRequests()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        Render<MudPopoverProvider>();
        var grid = Render<ExportGrid>(p => p.Add(g => g.AdminMode, true));
        Assert.False(Service.Queries[^1].Slow);

        grid.Find("input[data-testid=filter-slow]").Change(true);

        Assert.True(Service.Queries[^1].Slow);
        Assert.Equal(0, Service.Queries[^1].Page);
        grid.Find("[data-testid=clear-filters]").Click();
        Assert.False(Service.Queries[^1].Slow);
    }

    [Fact]
    public void UsersHaveNoSlowFilter()
    {
        Render<MudPopoverProvider>();
        var grid = Render<ExportGrid>();

        Assert.Empty(grid.FindAll("[data-testid=filter-slow]"));
    }
}
