using System.Text.RegularExpressions;

namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public partial class GridStateTests(PortalServer server)
{
    [GeneratedRegex(@"/exports\?sort=format$")]
    private static partial Regex SortedByFormat();

    [Fact]
    public async Task ASortSurvivesOpeningARowGoingBackAndAReload()
    {
        await using var session = await server.NewSessionAsync();
        await session.SignInAsync("Grid State User");
        var csv = await session.SubmitLastHourAsync("CSV");
        var json = await session.SubmitLastHourAsync("JSON");
        var rows = session.Page.GetByTestId("export-row");

        await session.GoToAsync("exports");
        // Newest first by default: the JSON export leads.
        await Expect(rows.First).ToHaveAttributeAsync("data-export-id", json.ToString());

        await session.Page.GetByTestId("sort-Format").ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(SortedByFormat());
        await Expect(rows.First).ToHaveAttributeAsync("data-export-id", csv.ToString());
        await session.ScreenshotAsync("grid-sorted-by-format");

        // A click anywhere on the row (here its status cell, not the timestamp link) opens the export.
        await rows.First.Locator("td").Nth(3).ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new Regex($"/exports/{csv}$"));
        await Expect(session.Page.GetByTestId("export-status")).ToBeVisibleAsync();

        await session.Page.GoBackAsync();
        await Expect(session.Page).ToHaveURLAsync(SortedByFormat());
        await Expect(rows.First).ToHaveAttributeAsync("data-export-id", csv.ToString());
        await Expect(session.Page.Locator("th", new() { Has = session.Page.GetByTestId("sort-Format") })).ToHaveAttributeAsync("aria-sort", "ascending");

        // The keyboard opens a row too: focus it and press Enter.
        await rows.Nth(1).FocusAsync();
        await session.Page.Keyboard.PressAsync("Enter");
        await Expect(session.Page).ToHaveURLAsync(new Regex($"/exports/{json}$"));
        await session.Page.GoBackAsync();
        await Expect(session.Page).ToHaveURLAsync(SortedByFormat());

        await session.Page.ReloadAsync();
        await session.WaitForCircuitAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-export-id", csv.ToString());
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-export-id", json.ToString());
        await Expect(session.Page.Locator("th", new() { Has = session.Page.GetByTestId("sort-Format") })).ToHaveAttributeAsync("aria-sort", "ascending");

        // The timestamp link inside a row still works as a link, once: Back returns to the sorted grid.
        await rows.First.GetByTestId("export-link").ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new Regex($"/exports/{csv}$"));
        await session.Page.GoBackAsync();
        await Expect(session.Page).ToHaveURLAsync(SortedByFormat());

        session.AssertNoConsoleErrors();
    }
}
