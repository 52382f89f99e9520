using System.Net;
using System.Web;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.IntegrationTests.Security;

public class ProductionWithoutEntraTests
{
    [Fact]
    public void RefusesToStartAndSaysWhy()
    {
        using var factory = new PortalFactory().WithWebHostBuilder(builder => builder.UseEnvironment("Production"));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        var messages = string.Join(" | ", Chain(error).Select(e => e.Message));
        Assert.Contains("'AzureAd'", messages, StringComparison.Ordinal);
        Assert.Contains("Production requires Microsoft Entra ID", messages, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("Production")]
    public void RefusesTheDevelopmentSignInOutsideDevelopment(string environment)
    {
        using var factory = new PortalFactory().WithWebHostBuilder(builder => builder.UseEnvironment(environment));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        var messages = string.Join(" | ", Chain(error).Select(e => e.Message));
        Assert.Contains($"{environment} requires Microsoft Entra ID", messages, StringComparison.Ordinal);
        Assert.Contains("only available in the Development environment", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevelopmentWithoutEntraOffersTheDevelopmentSignIn()
    {
        using var factory = new PortalFactory().WithWebHostBuilder(builder => builder.UseEnvironment("Development"));
        var cancellationToken = TestContext.Current.CancellationToken;

        Assert.NotNull(factory.Services.GetService<Portal.Security.DevelopmentUserStore>());
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var login = await client.GetAsync("/account/login", cancellationToken);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        var signIn = login.Headers.Location!;
        Assert.Equal("/account/dev-signin", signIn.OriginalString.Split('?')[0]);
        var page = await client.GetStringAsync(signIn, cancellationToken);
        Assert.Contains("Development sign-in", page, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"dev-signin\"", page, StringComparison.Ordinal);
    }

    internal static IEnumerable<Exception> Chain(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
        {
            yield return error;
        }
    }
}

/// <summary>The embedded simulator outside Development, with Entra ID configured so sign-in is not what stops the start.</summary>
public class EmbeddedSimulatorTests
{
    [Theory]
    [InlineData("Staging")]
    [InlineData("Production")]
    public void AnEmptyBaseUrlStopsTheStartAndNamesTheSetting(string environment)
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder.UseEnvironment(environment));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        var messages = string.Join(" | ", ProductionWithoutEntraTests.Chain(error).Select(e => e.Message));
        Assert.Contains("Upstream:BaseUrl is empty", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void ProductionRefusesTheSimulatorEvenWhenAskedFor()
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder.UseSetting("Upstream:UseSimulator", "true"));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        var messages = string.Join(" | ", ProductionWithoutEntraTests.Chain(error).Select(e => e.Message));
        Assert.Contains("Upstream:UseSimulator is true, but Production never hosts the simulator", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void StagingHostsTheSimulatorOnlyWhenAskedFor()
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder
            .UseEnvironment("Staging")
            .UseSetting("Upstream:UseSimulator", "true"));

        Assert.True(factory.Services.GetRequiredService<Portal.Upstream.UpstreamEndpoint>().IsEmbedded);
    }
}

public class EntraSignInTests(EntraPortalFactory factory) : IClassFixture<EntraPortalFactory>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoginChallengesTheConfiguredAuthorityWithoutContactingIt()
    {
        using var client = factory.CreateHttpsClient();

        using var response = await client.GetAsync("/account/login?returnUrl=%2Fexports", Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("login.example.test", location.Host);
        Assert.Equal($"/{EntraPortalFactory.TenantId}/v2.0/oauth2/v2.0/authorize", location.AbsolutePath);
        var query = HttpUtility.ParseQueryString(location.Query);
        Assert.Equal(EntraPortalFactory.ClientId, query["client_id"]);
        Assert.Equal("https://portal.example.test/signin-oidc", query["redirect_uri"]);
        Assert.Contains("openid", query["scope"], StringComparison.Ordinal);
        Assert.Equal(0, factory.BackchannelCalls);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.Contains("secure", StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(factory.Logs.Entries);
        Assert.DoesNotContain(factory.Logs.Entries, e => e.Contains(EntraPortalFactory.ClientSecret, StringComparison.Ordinal));
    }

    [Fact]
    public void TheAuthorityComesFromTheAzureAdSection()
    {
        var options = factory.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OpenIdConnectDefaults.AuthenticationScheme);

        Assert.Equal($"{EntraPortalFactory.Instance}{EntraPortalFactory.TenantId}/v2.0", options.Authority);
        Assert.Equal(EntraPortalFactory.ClientId, options.ClientId);
    }

    [Fact]
    public async Task ProtectedPagesSendBrowsersToLoginNotStraightToTheAuthority()
    {
        using var client = factory.CreateHttpsClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/access-denied");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await client.SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
    }

    [Fact]
    public async Task TheDevelopmentSignInDoesNotExist()
    {
        using var client = factory.CreateHttpsClient();

        using var page = await client.GetAsync("/account/dev-signin", Token);
        using var post = await client.PostAsync("/account/dev-signin", new FormUrlEncodedContent([new("name", "Mallory")]), Token);

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, post.StatusCode);
        Assert.DoesNotContain(post.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("Portal.Session", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PagesCarryHstsAndTheHeadersAndFormsMayPostToTheAuthority()
    {
        using var client = factory.CreateHttpsClient();

        using var response = await client.GetAsync("/", Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("max-age=", SecurityHeadersTests.Header(response, "Strict-Transport-Security"), StringComparison.Ordinal);
        SecurityHeadersTests.AssertSecurityHeaders(response, await response.Content.ReadAsStringAsync(Token), "/ in Production");
        Assert.Contains("form-action 'self' https://login.example.test", SecurityHeadersTests.Header(response, "Content-Security-Policy"), StringComparison.Ordinal);
    }
}
