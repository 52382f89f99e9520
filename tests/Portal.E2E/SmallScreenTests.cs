using System.Text.RegularExpressions;
using Portal.Testing;

namespace Portal.E2E;

[Collection(BrowserTestsB.Name)]
public partial class SmallScreenTests(PortalServer server)
{
    [GeneratedRegex(@" · Device Status Exports$")]
    private static partial Regex ProductTitle();

    private static async Task ExpectInsideTheViewportAsync(BrowserSession session, ILocator control)
    {
        await Expect(control).ToBeVisibleAsync();
        var box = await control.BoundingBoxAsync();
        var width = session.Page.ViewportSize!.Width;
        Assert.NotNull(box);
        Assert.True(box.X >= 0 && box.X + box.Width <= width, $"{control} spans {box.X}..{box.X + box.Width} of {width} px");
    }

    [Fact]
    public async Task OnAPhoneTheAppBarFitsItsThemeChoiceSurvivesAReloadAndSignOutWorks()
    {
        await using var session = await server.NewSessionAsync(width: 390, height: 844);
        // Static sign-in page: it never becomes interactive, so it must not promise to.
        await session.Page.GotoAsync("account/login?returnUrl=%2F");
        await Expect(session.Page.GetByTestId("dev-signin")).ToBeVisibleAsync();
        await Expect(session.Page.GetByTestId("connecting")).ToHaveCountAsync(0);
        await session.SignInAsync("Phone User", returnUrl: "/");

        var appBar = session.Page.Locator("header.mud-appbar");
        await ExpectInsideTheViewportAsync(session, appBar.GetByTestId("sign-out"));
        await ExpectInsideTheViewportAsync(session, appBar.GetByTestId("dark-mode-toggle"));
        await ExpectInsideTheViewportAsync(session, appBar.GetByTestId("notification-bell"));
        await ExpectInsideTheViewportAsync(session, appBar.GetByTestId("dev-signin-marker-icon"));
        var toolbar = await appBar.Locator(".mud-toolbar").EvaluateAsync<int[]>("t => [t.scrollWidth, t.clientWidth]");
        Assert.True(toolbar[0] <= toolbar[1], $"the toolbar needs {toolbar[0]} px of {toolbar[1]}");
        await session.ScreenshotAsync("phone-home-signed-in");

        const string background = "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background').trim()";
        var light = await session.Page.EvaluateAsync<string>(background);
        await session.Page.GetByTestId("dark-mode-toggle").ClickAsync();
        await session.Page.WaitForFunctionAsync($"light => ({background})() !== light", light);
        var dark = await session.Page.EvaluateAsync<string>(background);

        // The choice is remembered in a cookie the page writes just after it switched.
        await Eventually.HoldsAsync(async () => (await session.Context.CookiesAsync()).Any(c => c is { Name: "portal-theme", Value: "dark" }),
            "the theme cookie says dark");
        // The prerendered page is already dark, before any circuit: a reload shows no flash of the light theme.
        var prerendered = await session.Context.APIRequest.GetAsync("/");
        Assert.Contains(dark, await prerendered.TextAsync(), StringComparison.Ordinal);
        await session.Page.ReloadAsync();
        await session.WaitForCircuitAsync();
        Assert.Equal(dark, await session.Page.EvaluateAsync<string>(background));
        await Expect(session.Page.GetByTestId("dark-mode-toggle")).ToHaveAttributeAsync("aria-label", "Toggle dark mode");
        await session.ScreenshotAsync("phone-home-dark-after-reload");

        await session.Page.GetByTestId("sign-out").ClickAsync();
        await Expect(session.Page.GetByTestId("sign-in")).ToBeVisibleAsync();
        await Expect(session.Page.GetByTestId("sign-out")).ToHaveCountAsync(0);

        session.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task TheSignedInHomeShowsRecentExportsAndEveryPageHasOneMainLandmarkAndTheProductInItsTitle()
    {
        await using var session = await server.NewSessionAsync();
        await session.SignInAsync("Home Page User");
        var id = await session.SubmitLastHourAsync("PARQUET");

        await session.GoToAsync("/");
        var recent = session.Page.GetByTestId("recent-export");
        await Expect(recent.First).ToHaveAttributeAsync("data-export-id", id.ToString());
        await Expect(session.Page).ToHaveTitleAsync("Device Status Exports");
        await Expect(session.Page.Locator("main")).ToHaveCountAsync(1);
        await session.ScreenshotAsync("home-signed-in-recent");

        await session.Page.GetByTestId("recent-exports").GetByTestId("new-export").ClickAsync();
        await Expect(session.Page).ToHaveURLAsync(new Regex("/exports/new$"));
        await Expect(session.Page).ToHaveTitleAsync("New export · Device Status Exports");

        foreach (var path in new[] { "exports", $"exports/{id}", "account/settings", "schedules" })
        {
            await session.Page.GotoAsync(path);
            await Expect(session.Page).ToHaveTitleAsync(ProductTitle());
            await Expect(session.Page.Locator("main")).ToHaveCountAsync(1);
        }

        session.AssertNoConsoleErrors();
    }
}
