using System.Text.RegularExpressions;

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
        await user.Page.WaitForURLAsync(url => url.EndsWith("/schedules/new", StringComparison.Ordinal));
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
        await page.WaitForURLAsync(SchedulePageUrl(), new() { WaitUntil = WaitUntilState.Commit });
        await Expect(page.GetByTestId("schedule-state")).ToHaveAttributeAsync("data-paused", "false");
        Assert.Contains("exports", first, StringComparison.Ordinal);

        // The scheduler creates the run at the next minute; the page shows it without a reload and follows its export.
        var run = page.GetByTestId("schedule-run").First;
        await Expect(run).ToBeVisibleAsync(new() { Timeout = 75_000 });
        await Expect(run).ToHaveAttributeAsync("data-status", "Completed", new() { Timeout = 30_000 });

        await run.GetByTestId("schedule-run-link").ClickAsync();
        await page.WaitForURLAsync(Flows.ExportPageUrl(), new() { WaitUntil = WaitUntilState.Commit });
        await user.ExpectStatusAsync("Completed");
        await Expect(page.GetByText("Requested by schedule \u201cLast hour, every minute\u201d", new() { Exact = false })).ToBeVisibleAsync();
        user.AssertNoConsoleErrors();
    }

    private static ILocator Field(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    [GeneratedRegex("/schedules/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex SchedulePageUrl();
}
