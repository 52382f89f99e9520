using Microsoft.Playwright;

namespace Portal.E2E;

public class ShellTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task HomePageRendersWithTheThemeAndTogglesDarkMode()
    {
        var page = await server.NewPageAsync();
        await page.GotoAsync("/");
        await Assertions.Expect(page.Locator("[data-interactive=true]")).ToBeAttachedAsync();

        var appBar = page.Locator(".mud-appbar");
        await Assertions.Expect(appBar).ToHaveCSSAsync("background-color", "rgb(57, 73, 171)");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Device status exports");
        await page.ScreenshotAsync(new() { Path = Path.Combine(PortalServer.ArtifactsDirectory, "home-light.png"), FullPage = true });

        await page.GetByTestId("dark-mode-toggle").ClickAsync();

        await Assertions.Expect(appBar).Not.ToHaveCSSAsync("background-color", "rgb(57, 73, 171)");
        await page.ScreenshotAsync(new() { Path = Path.Combine(PortalServer.ArtifactsDirectory, "home-dark.png"), FullPage = true });
    }
}
