using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;

namespace Portal.IntegrationTests.Security;

/// <summary>
/// Portals on real ports, one database (SQLite, or PostgreSQL with <see cref="TestDatabases.IsPostgreSql"/>) and a
/// Redis of the test's own that restarts and loses everything: the signed-in user stays signed in on every instance.
/// </summary>
public class KeyRingRestartTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A portal in Development on a loopback port, on <paramref name="redis"/> and (given one) another portal's database.</summary>
    private static async Task<(PortalFactory Portal, Uri Address)> StartAsync(RestartableRedis redis, string prefix, PortalFactory? sharing = null)
    {
        var portal = new PortalFactory();
        portal.Settings["ConnectionStrings:Redis"] = redis.Endpoint;
        portal.Settings["Redis:KeyPrefix"] = prefix;
        if (sharing is not null)
        {
            foreach (var (key, value) in TestDatabases.Settings(sharing.DatabasePath))
            {
                portal.Settings[key] = value;
            }
        }
        await portal.InitializeAsync();
        portal.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        portal.StartServer();
        var address = portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (portal, new Uri(address));
    }

    /// <summary>
    /// The page as the browser's next load gets it: while the portal's connection to the restarted Redis comes back, an
    /// answer of the server's own failure (5xx) is asked again; any other answer, a sign-in redirect too, is the answer.
    /// </summary>
    private static async Task<(HttpStatusCode Status, Uri? Location, string Html)> LoadAsync(HttpClient client, Uri address, string path) =>
        await Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await client.GetAsync(new Uri(address, path), Cancellation);
                return (response.StatusCode, response.Headers.Location, await response.Content.ReadAsStringAsync(Cancellation));
            },
            page => (int)page.StatusCode < 500,
            $"{path} on {address} to answer other than a server error",
            lastSeen: page => $"{(int)page.StatusCode}");

    [Fact]
    public async Task AfterRedisRestartsAndLosesEverythingTheSignedInUserIsStillSignedInOnEveryInstanceAndAnOpenFormIsAccepted()
    {
        await using var redis = await RestartableRedis.StartAsync();
        var prefix = $"test-{Guid.NewGuid():N}";
        var (a, onA) = await StartAsync(redis, prefix);
        await using var first = a;
        var (b, onB) = await StartAsync(redis, prefix, sharing: a);
        await using var second = b;
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = onA };
        await browser.SignInAsync("Rita Restart");
        var homeOnA = await browser.GetStringAsync(new Uri(onA, "/"), Cancellation);
        // The sign-out form of the page loaded before the restart: an antiforgery-protected form still open in the browser.
        var openFormToken = DevSignIn.AntiforgeryToken(homeOnA);
        Assert.Contains("Rita Restart", homeOnA, StringComparison.Ordinal);

        await redis.RestartAsync();
        // And an instance started after the restart, which has nothing of the key ring in memory.
        var (c, onC) = await StartAsync(redis, prefix, sharing: a);
        await using var third = c;

        foreach (var address in new[] { onB, onA, onC })
        {
            var (status, location, html) = await LoadAsync(browser, address, "/");
            Assert.True(status == HttpStatusCode.OK, $"The page on {address} answered {(int)status} {location} instead of the page: the user was signed out.");
            Assert.Contains("Rita Restart", html, StringComparison.Ordinal);
            Assert.Contains("data-testid=\"sign-out\"", html, StringComparison.Ordinal);
        }
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = openFormToken,
        });
        using var posted = await browser.PostAsync(new Uri(onB, "/account/logout"), form, Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal("/", posted.Headers.Location?.OriginalString);
    }
}
