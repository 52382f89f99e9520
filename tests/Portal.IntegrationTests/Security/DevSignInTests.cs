using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

public class DevSignInTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private HttpClient NoRedirects() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task LoginSendsBrowsersToTheDevelopmentSignInPageWithALocalReturnUrl()
    {
        using var client = NoRedirects();

        using var response = await client.GetAsync("/account/login?returnUrl=%2Fexports%3Fpage%3D2", Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/dev-signin?returnUrl=%2Fexports%3Fpage%3D2", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task TheSignInPageIsMarkedAsDevelopmentSignInAndHasTheBrowserTestHooks()
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/account/dev-signin", Token);

        Assert.Contains("Development sign-in", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-user\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-admin\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-signin\"", html, StringComparison.Ordinal);
        Assert.Contains("Ada Admin (admin)", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningInSetsASecureSessionCookieAndTheHomePageShowsTheUser()
    {
        using var client = NoRedirects();
        var page = await client.GetStringAsync("/account/dev-signin", Token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "Carol Tester",
            ["returnUrl"] = "/not-found",
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(page),
        });

        using var response = await client.PostAsync("/account/dev-signin", form, Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/not-found", response.Headers.Location?.OriginalString);
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("Portal.Session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var home = await client.GetStringAsync("/", Token);
        Assert.Contains("Carol Tester", home, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-signin-marker\"", home, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"admin-badge\"", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminSignInShowsTheAdminBadge()
    {
        using var client = factory.CreateClient();

        await client.SignInAsync("Dana Admin", admin: true);

        var home = await client.GetStringAsync("/", Token);
        Assert.Contains("data-testid=\"admin-badge\"", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignInWithoutAnAntiforgeryTokenIsRefused()
    {
        using var client = NoRedirects();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "Mallory" });

        using var response = await client.PostAsync("/account/dev-signin", form, Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("Portal.Session=", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AnEmptyNameReturnsToTheFormWithAnError()
    {
        using var client = NoRedirects();
        var page = await client.GetStringAsync("/account/dev-signin", Token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "  -- ",
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(page),
        });

        using var response = await client.PostAsync("/account/dev-signin", form, Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/dev-signin?error=name", response.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example/phish")]
    [InlineData("//evil.example/phish")]
    [InlineData("/\\evil.example/phish")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/\t/evil.example")]
    public async Task OpenRedirectAttemptsLandOnTheStartPage(string returnUrl)
    {
        using var client = NoRedirects();
        var page = await client.GetStringAsync("/account/dev-signin", Token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "Eve",
            ["returnUrl"] = returnUrl,
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(page),
        });

        using var signIn = await client.PostAsync("/account/dev-signin", form, Token);
        using var login = await client.GetAsync($"/account/login?returnUrl={Uri.EscapeDataString(returnUrl)}", Token);

        Assert.Equal("/", signIn.Headers.Location?.OriginalString);
        Assert.Equal("/account/dev-signin?returnUrl=%2F", login.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task SigningOutNeedsTheFormsTokenAndEndsTheSession()
    {
        using var client = NoRedirects();
        await client.SignInAsync("Frank Leaving");
        var home = await client.GetStringAsync("/", Token);
        using var forged = new FormUrlEncodedContent(new Dictionary<string, string> { ["returnUrl"] = "/" });
        using var refused = await client.PostAsync("/account/logout", forged, Token);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["returnUrl"] = "https://evil.example/",
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(home),
        });

        using var response = await client.PostAsync("/account/logout", form, Token);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location?.OriginalString);
        Assert.DoesNotContain("Frank Leaving", await client.GetStringAsync("/", Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithdrawingTheAdminRoleEndsTheSessionAtTheNextRequest()
    {
        using var client = NoRedirects();
        await client.SignInAsync("Gina Formeradmin", admin: true);
        var users = factory.Services.GetRequiredService<DevelopmentUserStore>();

        Assert.True(users.SetAdmin(DevelopmentUserStore.IdFor("Gina Formeradmin"), isAdmin: false));

        var home = await client.GetStringAsync("/", Token);
        Assert.DoesNotContain("Gina Formeradmin", home, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"sign-in\"", home, StringComparison.Ordinal);
    }
}
