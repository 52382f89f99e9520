using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Schedules;

namespace Portal.E2E;

[Collection(BrowserTestsB.Name)]
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

        // The scheduler creates a run once the schedule's next run is due. Rather than wait for the next wall-clock
        // minute, the test makes the current minute (an occurrence of "* * * * *") the schedule's next run: the scheduler,
        // the tracker and the page all keep the real clock. The page shows the run without a reload and follows its export.
        var scheduleId = Guid.Parse(SchedulePageUrl().Match(page.Url).Groups["id"].Value);
        var now = DateTimeOffset.UtcNow;
        var thisMinute = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            Assert.Equal(1, await db.Schedules.Where(s => s.Id == scheduleId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, thisMinute), TestContext.Current.CancellationToken));
        }
        server.Services.GetRequiredService<ExportScheduler>().Wake();
        var run = page.GetByTestId("schedule-run").First;
        await Expect(run).ToBeVisibleAsync();
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
