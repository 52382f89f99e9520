using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Schedules;

namespace Portal.E2E;

[Collection(BrowserTests.Name)]
public partial class ScheduleTests(PortalServer server)
{
    [Fact]
    public async Task AUserCreatesAScheduleSeesItsNextRunsAndWatchesARunAppearAndComplete()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Schedule Maker");
        await user.GoToAsync("schedules");
        await Expect(user.Page.GetByTestId("schedules-empty")).ToBeVisibleAsync();
        await user.Page.GetByTestId("new-schedule").ClickAsync();
        await Expect(user.Page).ToHaveURLAsync(new Regex("/schedules/new$"));
        await user.WaitForCircuitAsync();

        var page = user.Page;
        await Field(page, "schedule-name").FillAsync("Last hour, every minute");
        await page.GetByTestId("range-last-hours").ClickAsync();
        await Field(page, "schedule-hours").FillAsync("1");
        await page.GetByTestId("recurrence-cron").ClickAsync();
        await Field(page, "schedule-cron").FillAsync("61 * * * *");
        await Expect(page.GetByText("Not a valid cron expression")).ToBeVisibleAsync();
        await Field(page, "schedule-cron").FillAsync("* * * * *");

        var nextRuns = page.GetByTestId("schedule-next-runs").GetByTestId("next-run");
        await Expect(nextRuns).ToHaveCountAsync(3);
        var first = await nextRuns.First.InnerTextAsync();
        await page.GetByTestId("save-schedule").ClickAsync();
        await Expect(page).ToHaveURLAsync(SchedulePageUrl());
        await Expect(page.GetByTestId("schedule-state")).ToHaveAttributeAsync("data-paused", "false");
        Assert.Contains("exports", first, StringComparison.Ordinal);

        // The scheduler creates the run when its clock reaches the next minute; rather than wait for the wall clock,
        // the test moves the scheduler's clock there. The page shows the run without a reload and follows its export.
        var scheduleId = Guid.Parse(SchedulePageUrl().Match(page.Url).Groups["id"].Value);
        DateTimeOffset? nextRun;
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            nextRun = await db.Schedules.Where(s => s.Id == scheduleId).Select(s => s.NextRunAt).SingleAsync(TestContext.Current.CancellationToken);
        }
        Assert.NotNull(nextRun);
        var run = page.GetByTestId("schedule-run").First;
        try
        {
            server.SchedulerClock.MoveTo(nextRun.Value);
            server.Services.GetRequiredService<ExportScheduler>().Wake();
            await Expect(run).ToBeVisibleAsync();
        }
        finally
        {
            server.SchedulerClock.Reset();
        }
        await Expect(run).ToHaveAttributeAsync("data-status", "Completed");

        await run.GetByTestId("schedule-run-link").ClickAsync();
        await Expect(page).ToHaveURLAsync(Flows.ExportPageUrl());
        await user.ExpectStatusAsync("Completed");
        await Expect(page.GetByText("Requested by schedule \u201cLast hour, every minute\u201d", new() { Exact = false })).ToBeVisibleAsync();
        user.AssertNoConsoleErrors();
    }

    private static ILocator Field(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    [GeneratedRegex("/schedules/(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")]
    private static partial Regex SchedulePageUrl();
}
