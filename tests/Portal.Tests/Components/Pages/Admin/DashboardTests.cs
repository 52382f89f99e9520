using Bunit;
using MudBlazor;
using Portal.Components.Pages.Admin;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tests.Components.Pages.Admin;

public class DashboardTests : ExportTestContext
{
    private static ExportStatistics Figures() => new(
        [
            new DailyStatusCount(new DateOnly(2026, 11, 27), ExportStatus.Completed, 12),
            new DailyStatusCount(new DateOnly(2026, 11, 27), ExportStatus.Failed, 2),
            new DailyStatusCount(new DateOnly(2026, 11, 28), ExportStatus.Completed, 7),
        ],
        [
            new FormatDurations(FileFormat.Csv, 10, 40, 90, 120),
            new FormatDurations(FileFormat.Parquet, 9, 35, 70, 95),
        ],
        [new FailureReasonCount("The upstream rejected the range.", 2)],
        new Dictionary<ExportStatus, int> { [ExportStatus.Submitted] = 3, [ExportStatus.InProgress] = 4 },
        new UpstreamHealth("503 Service Unavailable", new DateTimeOffset(2026, 11, 28, 11, 58, 0, TimeSpan.Zero), 0.25, 45, 60));

    private IRenderedComponent<Dashboard> RenderDashboard()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        Render<MudPopoverProvider>();
        return Render<Dashboard>();
    }

    [Fact]
    public void ShowsOpenRequestsAndUpstreamHealth()
    {
        Service.Statistics = Figures();

        var page = RenderDashboard();

        Assert.Equal("7", page.Find("[data-testid=open-total]").TextContent.Trim());
        Assert.Equal("25%", page.Find("[data-testid=error-rate]").TextContent.Trim());
        Assert.Equal("45 / 60", page.Find("[data-testid=poll-budget]").TextContent.Trim());
        Assert.Contains("503 Service Unavailable", page.Find("[data-testid=last-error]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2026-11-28 11:58:00", page.Find("[data-testid=last-error]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsEmailsSentAndFailedInTheLast24Hours()
    {
        Service.Statistics = Figures();
        Emails.Health = new Portal.Notifications.Email.EmailHealth(Sends: true, Sent: 14, Failed: 2, Retrying: 1, Kept: 0);

        var page = RenderDashboard();

        Assert.Equal("14", page.Find("[data-testid=emails-sent]").TextContent.Trim());
        Assert.Equal("2", page.Find("[data-testid=emails-failed]").TextContent.Trim());
        Assert.Equal("1", page.Find("[data-testid=emails-retrying]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=email-health] [data-testid=email-not-configured]"));
        Assert.Equal(Clock.GetUtcNow().AddDays(-1), Emails.AskedSince);
    }

    [Fact]
    public void SaysWhenNoMailServerIsConfigured()
    {
        Service.Statistics = Figures();

        var page = RenderDashboard();

        Assert.Contains("sends no email", page.Find("[data-testid=email-health] [data-testid=email-not-configured]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsThePauseOfEveryUpstreamCallAndWhy()
    {
        var until = new DateTimeOffset(2026, 11, 28, 14, 3, 10, TimeSpan.Zero);
        Service.Statistics = Figures() with
        {
            Upstream = new UpstreamHealth("Upstream answered 429 (Too Many Requests).", until.AddSeconds(-50), 0.1, 60, 60,
                until, "the device platform answered 429 Too Many Requests"),
        };

        var page = RenderDashboard();

        Assert.Equal(
            "Calls to the device platform paused until 2026-11-28 14:03:10 (the device platform answered 429 Too Many Requests)",
            page.Find("[data-testid=upstream-paused]").TextContent.Trim());
    }

    [Fact]
    public void ShowsNoPauseWhileCallsFlow()
    {
        Service.Statistics = Figures();

        var page = RenderDashboard();

        Assert.Empty(page.FindAll("[data-testid=upstream-paused]"));
    }

    [Fact]
    public void DrawsTheCharts()
    {
        Service.Statistics = Figures();

        var page = RenderDashboard();

        Assert.Equal(3, page.FindComponents<MudChart<double>>().Count);
        Assert.Equal(2, page.FindAll("[data-testid=duration-row]").Count);
        Assert.Contains("1m 30s", page.FindAll("[data-testid=duration-row]")[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("The upstream rejected the range.: 2", page.Find("[data-testid=failure-reason]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void SaysSoWhenAPeriodHasNoData()
    {
        Service.Statistics = new ExportStatistics([], [], [], new Dictionary<ExportStatus, int>(), new UpstreamHealth(null, null, 0, 0, 60));

        var page = RenderDashboard();

        Assert.Empty(page.FindComponents<MudChart<double>>());
        Assert.Contains("No requests in this period.", page.Markup, StringComparison.Ordinal);
        Assert.Equal("None.", page.Find("[data-testid=last-error]").TextContent.Trim());
        Assert.Equal("0", page.Find("[data-testid=open-total]").TextContent.Trim());
    }

    [Fact]
    public async Task AsksForTheChosenPeriod()
    {
        Service.Statistics = Figures();
        var page = RenderDashboard();
        Assert.Equal(Clock.GetUtcNow().AddDays(-7), Service.StatisticsSince);

        var period = page.FindComponent<MudToggleGroup<int>>();
        await page.InvokeAsync(() => period.Instance.ValueChanged.InvokeAsync(30));

        Assert.Equal(Clock.GetUtcNow().AddDays(-30), Service.StatisticsSince);
    }

    [Fact]
    public void ANonAdminGetsNoFigures()
    {
        Service.Statistics = Figures();
        Render<MudPopoverProvider>();

        var page = Render<Dashboard>();

        Assert.Contains("Only admins can see the dashboard.", page.Find("[data-testid=dashboard-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=upstream-health]"));
    }
}
