namespace Portal.E2E;

/// <summary>Exports people can tell apart: a name typed on the form, found again in the history, and named in its notices.</summary>
[Collection(BrowserTestsB.Name)]
public class ExportNameTests(PortalServer server)
{
    private static ILocator Field(IPage page, string testId) => page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;

    /// <summary>Types a name into the new-export form and submits the last hour; returns the export's id once its page shows.</summary>
    private static async Task<Guid> SubmitNamedAsync(BrowserSession session, string name)
    {
        await session.GoToAsync("exports/new");
        await session.Page.GetByTestId("preset-last-hour").ClickAsync();
        var field = Field(session.Page, "export-name");
        await field.ClickAsync();
        await field.PressSequentiallyAsync(name);
        await Expect(field).ToHaveValueAsync(name);
        await session.ScreenshotAsync("export-name-form");
        await session.Page.GetByTestId("submit-export").ClickAsync();
        await session.ExpectExportPageAsync();
        await Expect(session.Page.GetByTestId("export-name-heading")).ToHaveTextAsync(name);
        return Guid.Parse(Flows.ExportPageUrl().Match(session.Page.Url).Groups["id"].Value);
    }

    [Fact]
    public async Task ANameTypedOnTheFormFindsTheExportInTheHistory()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Name Giver");
        await user.SubmitLastHourAsync("JSON");
        var id = await SubmitNamedAsync(user, "Fleet check 42");

        await user.GoToAsync("exports");
        var rows = user.Page.GetByTestId("export-row");
        await Expect(rows).ToHaveCountAsync(2);
        var search = Field(user.Page, "grid-search");
        await search.ClickAsync();
        await search.PressSequentiallyAsync("fleet CHECK");

        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToHaveAttributeAsync("data-export-id", id.ToString());
        await Expect(rows.GetByTestId("row-name")).ToHaveTextAsync("Fleet check 42");
        await user.ScreenshotAsync("export-name-history-search");

        // The format finds an export too: the other one is the JSON export, named after its format by default.
        await search.FillAsync("");
        // Both rows again before the next search: otherwise the count below can be met by the first search's result.
        await Expect(rows).ToHaveCountAsync(2);
        await search.PressSequentiallyAsync("json");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.GetByTestId("row-name")).ToContainTextAsync("JSON · ");
        user.AssertNoConsoleErrors();
    }

    /// <summary>
    /// The device platform is down while the export is submitted, so it completes only once the user is where the
    /// scenario wants them.
    /// </summary>
    private void HoldExportsBack() => server.ReconfigureSimulator(o =>
    {
        o.Faults.ServiceUnavailableRate = 1;
        o.Faults.ServiceUnavailableRetryAfterSeconds = 1;
    });

    [Fact]
    public async Task ACompletionOnAnotherPageIsASnackbarThatNamesTheExportAndLinksToIt()
    {
        HoldExportsBack();
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Away Reader");
            var id = await SubmitNamedAsync(user, "Night shift report");
            await user.GoToAsync("");
            server.ResetSimulator();

            var snackbar = user.Page.Locator(".mud-snackbar").Filter(new() { HasText = "Night shift report" });
            await Expect(snackbar).ToBeVisibleAsync();
            var link = snackbar.GetByTestId("snackbar-export-link");
            await Expect(link).ToHaveTextAsync("\u201cNight shift report\u201d is ready to download.");
            await Expect(link).ToHaveAttributeAsync("href", $"exports/{id}");
            await user.ScreenshotAsync("export-name-snackbar");
            await link.ClickAsync();
            await Expect(user.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/exports/{id}$"));
            await user.ExpectStatusAsync("Completed");
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }

    [Fact]
    public async Task ACompletionOnItsOwnPageIsSaidInPlaceWithoutASnackbar()
    {
        HoldExportsBack();
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Page Watcher");
            await SubmitNamedAsync(user, "Watched export");
            await user.ExpectStatusAsync("Queued");
            server.ResetSimulator();

            await user.ExpectStatusAsync("Completed");
            await Expect(user.Page.GetByTestId("export-ready")).ToContainTextAsync("Your export is ready");
            // The bell counts the notice in the same step in which it decides on a snackbar: once it shows, none was shown.
            var bell = user.Page.GetByTestId("notification-bell").GetByRole(AriaRole.Button);
            await Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread");
            await Expect(user.Page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
            await user.ScreenshotAsync("export-name-ready-in-place");
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
