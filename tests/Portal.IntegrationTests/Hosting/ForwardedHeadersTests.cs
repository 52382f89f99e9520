using System.Net;
using System.Web;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Portal.IntegrationTests.Security;

namespace Portal.IntegrationTests.Hosting;

/// <summary>
/// Behind a TLS-terminating load balancer at 10.0.0.5: the portal in Production sees plain http from it, and only its
/// <c>X-Forwarded-Proto</c> may say that the browser used https (which the sign-in's callback address must carry).
/// </summary>
public sealed class ForwardedHeadersTests(EntraPortalFactory factory) : IClassFixture<EntraPortalFactory>
{
    private const string LoadBalancer = "10.0.0.5";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheConfiguredProxyIsBelievedThatTheBrowserUsedHttps()
    {
        var redirectUri = await SignInCallbackAsync(from: LoadBalancer);

        Assert.Equal("https://portal.example.test/signin-oidc", redirectUri);
    }

    [Fact]
    public async Task AnyoneElseWhoSaysHttpsIsIgnored()
    {
        var redirectUri = await SignInCallbackAsync(from: "192.0.2.77");

        Assert.Equal("http://portal.example.test/signin-oidc", redirectUri);
    }

    [Fact]
    public async Task ANetworkOfProxiesCanBeTrustedToo()
    {
        var redirectUri = await SignInCallbackAsync(from: "10.1.2.3", network: "10.1.0.0/16");

        Assert.Equal("https://portal.example.test/signin-oidc", redirectUri);
    }

    private async Task<string?> SignInCallbackAsync(string from, string? network = null)
    {
        using var portal = factory.WithWebHostBuilder(builder =>
        {
            builder.UseSetting("ForwardedHeaders:KnownProxies:0", LoadBalancer);
            if (network is not null)
            {
                builder.UseSetting("ForwardedHeaders:KnownNetworks:0", network);
            }
        });
        var context = await portal.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Scheme = "http";
            c.Request.Host = new HostString("portal.example.test");
            c.Request.Path = "/account/login";
            c.Request.QueryString = new QueryString("?returnUrl=%2Fexports");
            c.Request.Headers["X-Forwarded-Proto"] = "https";
            c.Request.Headers["X-Forwarded-For"] = "203.0.113.10";
            c.Connection.RemoteIpAddress = IPAddress.Parse(from);
        }, Cancellation);

        Assert.Equal(StatusCodes.Status302Found, context.Response.StatusCode);
        var location = new Uri(context.Response.Headers.Location.ToString());
        return HttpUtility.ParseQueryString(location.Query)["redirect_uri"];
    }
}
