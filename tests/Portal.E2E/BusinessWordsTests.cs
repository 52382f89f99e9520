using Portal.Testing;

namespace Portal.E2E;

/// <summary>
/// Users read "device platform", never the engineers' "upstream": every page a plain user reaches, with exports that
/// met trouble, timed out and completed, a schedule, a webhook with its log, the API reference and the error pages.
/// </summary>
[Collection(BrowserTestsB.Name)]
public class BusinessWordsTests(PortalServer server)
{
    // The visible text, the tab title and the words assistive technology reads out or a field shows when empty.
    private const string FindJargon = """
        () => {
            const hits = [];
            const word = /upstream/i;
            if (word.test(document.title)) hits.push('title: ' + document.title);
            for (const m of document.body.innerText.matchAll(/.{0,40}upstream.{0,40}/gi)) hits.push('text: ' + m[0]);
            for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
                for (const name of ['title', 'aria-label', 'placeholder']) {
                    const value = el.getAttribute(name);
                    if (value && word.test(value)) hits.push(name + ': ' + value);
                }
            }
            return hits;
        }
        """;

    [Fact]
    public async Task NoPageAPlainUserReachesSaysUpstream()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var user = await server.NewSessionAsync();
        var page = user.Page;
        await user.SignInAsync("Plain Reader");
        var seen = new List<string>();

        async Task ScanAsync(string what)
        {
            var hits = await page.EvaluateAsync<string[]>(FindJargon);
            Assert.True(hits.Length == 0, $"{what} ({page.Url}) says: {string.Join(" | ", hits)}");
            seen.Add(what);
        }

        // An export that meets an outage: its trouble note and the health banner name the cause.
        server.ReconfigureSimulator(o => o.Faults.ServiceUnavailableRate = 1);
        try
        {
            await user.SubmitLastHourAsync();
            await Expect(page.GetByTestId("export-trouble")).ToContainTextAsync("503");
            await ScanAsync("an export during an outage");
        }
        finally
        {
            server.ResetSimulator();
        }

        var completed = await user.SubmitLastHourAsync("PARQUET");
        await user.ExpectStatusAsync("Completed");
        await Expect(page.GetByTestId("timeline-entry").First).ToBeVisibleAsync();
        await page.GetByTestId("preview-file").First.ClickAsync();
        await Expect(page.GetByTestId("column-facts")).ToBeVisibleAsync();
        await ScanAsync("a completed export with its timeline, files and preview");

        // One the device platform never finishes: it ends TimedOut with its reason. Another format than the first
        // export's, which may still be in the same hour: the same range and format would be merged into that one.
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        var maxOpenDuration = server.StopWaitingAfter(TimeSpan.FromSeconds(10));
        try
        {
            await user.SubmitLastHourAsync("JSON");
            await user.ExpectStatusAsync("TimedOut");
            await Expect(page.GetByTestId("export-problem")).ToBeVisibleAsync();
            await ScanAsync("a timed-out export");
        }
        finally
        {
            server.StopWaitingAfter(maxOpenDuration);
            server.ResetSimulator();
        }

        foreach (var path in new[] { "", "exports", "exports/new", "schedules", "account/settings", "account/tokens" })
        {
            await user.GoToAsync(path);
            await Expect(page.Locator("h1").First).ToBeVisibleAsync();
            await ScanAsync("/" + path);
        }

        await user.GoToAsync("exports");
        await Expect(page.Locator($"a[href*='{completed}']").First).ToBeVisibleAsync();
        await ScanAsync("/exports with exports");

        await user.GoToAsync("schedules/new");
        var name = page.Locator("input[data-testid=schedule-name], [data-testid=schedule-name] input").First;
        await name.PressSequentiallyAsync("Words check");
        await Expect(page.GetByTestId("schedule-next-runs").GetByTestId("next-run")).ToHaveCountAsync(3);
        await ScanAsync("/schedules/new");
        await page.GetByTestId("save-schedule").ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/schedules/[0-9a-f-]{36}$"));
        await Expect(page.GetByTestId("schedule-state")).ToBeVisibleAsync();
        await ScanAsync("a schedule");

        await user.GoToAsync("account/webhooks");
        var url = page.Locator("input[data-testid=webhook-url], [data-testid=webhook-url] input").First;
        await url.PressSequentiallyAsync(receiver.Url.ToString());
        await url.PressAsync("Tab");
        await page.GetByTestId("webhook-register").ClickAsync();
        await Expect(page.GetByTestId("webhook-secret")).ToContainTextAsync("whsec_");
        await page.GetByTestId("webhook-send-test").ClickAsync();
        await Expect(page.GetByTestId("webhook-log-row")).ToHaveAttributeAsync("data-status-code", "204");
        await ScanAsync("/account/webhooks with a delivery");

        await user.GoToAsync("no/such/page", newDocument: true);
        await Expect(page.Locator("h1").First).ToHaveTextAsync("Not found");
        await ScanAsync("a page that does not exist");

        await user.GoToAsync("admin", newDocument: true);
        await Expect(page.GetByTestId("access-denied")).ToBeVisibleAsync();
        await ScanAsync("an admin page");

        // The API reference renders its introduction from the OpenAPI document on the client.
        await page.GotoAsync("api/docs");
        await Expect(page.Locator("body")).ToContainTextAsync("Authorization: Bearer <token>");
        await ScanAsync("/api/docs");

        Assert.Equal(16, seen.Count);
    }
}
