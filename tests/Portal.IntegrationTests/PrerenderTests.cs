using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.IntegrationTests;

public partial class PrerenderTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [GeneratedRegex(@"--mud-palette-background:\s*([^;]+);")]
    private static partial Regex Background();

    [Fact]
    public async Task AnInteractivePageSaysItIsConnectingButTheStaticSignInPageDoesNot()
    {
        using var client = factory.CreateClient();

        var home = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        var signIn = await client.GetStringAsync("/account/dev-signin", TestContext.Current.CancellationToken);

        Assert.Contains("data-testid=\"connecting\"", home, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-signin-form\"", signIn, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"connecting\"", signIn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePrerenderedPageIsInTheThemeTheCookieNames()
    {
        // The test sets the cookie by hand, as the browser sends what the page's script stored.
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        var light = await BackgroundOfHomeAsync(client, "light");
        var dark = await BackgroundOfHomeAsync(client, "dark");
        var unset = await BackgroundOfHomeAsync(client, null);

        Assert.NotEqual(light, dark);
        Assert.Equal(light, unset);
        Assert.Equal(light, await BackgroundOfHomeAsync(client, "purple"));
    }

    private static async Task<string> BackgroundOfHomeAsync(HttpClient client, string? theme)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/");
        if (theme is not null)
        {
            request.Headers.Add("Cookie", $"portal-theme={theme}");
        }
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var background = Background().Match(html);
        Assert.True(background.Success, "the prerendered page carries the theme's colours");
        return background.Groups[1].Value.Trim();
    }
}
