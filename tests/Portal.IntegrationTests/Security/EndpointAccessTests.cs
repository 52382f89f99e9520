using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

/// <summary>Covers every endpoint the portal maps, including those added after these tests were written.</summary>
public class EndpointAccessTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    /// <summary>The only routes anyone may use without signing in.</summary>
    private static readonly HashSet<string> PublicRoutes = new(StringComparer.OrdinalIgnoreCase)
    {
        "/", "/Error", "/not-found", "/health/live", "/health/ready", "/csp-reports",
        "/account/login", "/account/logout", "/account/dev-signin",
        // The API's description and reference page: no data, read before a script has a token.
        "/openapi/{documentName}.json", "/api/docs/{documentName?}",
    };

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public void OnlyThePublicRoutesAndStaticAssetsAllowAnonymousUsers()
    {
        var anonymous = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null && !IsStaticAsset(e))
            .Select(Route)
            .ToList();

        Assert.NotEmpty(anonymous);
        Assert.All(anonymous, route => Assert.Contains(route, PublicRoutes));
    }

    [Fact]
    public void EveryPageStatesWhoMayOpenIt()
    {
        // The fallback policy covers requests; inside an open page, navigation is checked by AuthorizeRouteView,
        // which only sees the attributes a page carries.
        var pages = Endpoints().Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null).ToList();

        Assert.NotEmpty(pages);
        Assert.All(pages, page => Assert.True(
            page.Metadata.GetMetadata<IAllowAnonymous>() is not null || page.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(),
            $"{Route(page)} has neither [Authorize] nor [AllowAnonymous]"));
    }

    [Fact]
    public async Task AnonymousRequestsToEveryOtherEndpointAreRefused()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var protectedEndpoints = Endpoints()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null && !IsCircuitTransport(e) && !IsStaticAsset(e))
            .ToList();
        Assert.Contains(protectedEndpoints, e => Route(e) == "/account/access-denied");

        foreach (var endpoint in protectedEndpoints)
        {
            var method = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is [var first, ..] ? first : HttpMethods.Get;
            using var request = new HttpRequestMessage(new HttpMethod(method), SamplePath(endpoint.RoutePattern));
            if (method == HttpMethods.Post)
            {
                request.Content = new StringContent("", Encoding.UTF8, "application/x-www-form-urlencoded");
            }

            using var response = await client.SendAsync(request, Token);

            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized,
                $"{method} {request.RequestUri} answered {(int)response.StatusCode} to an anonymous script request");
        }
    }

    [Fact]
    public async Task AnonymousBrowsersAreSentToSignInAndBackToThePageTheyAskedFor()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/account/access-denied?from=test");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var response = await client.SendAsync(request, Token);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?returnUrl=%2Faccount%2Faccess-denied%3Ffrom%3Dtest", response.Headers.Location?.PathAndQuery);
    }

    [Fact]
    public async Task TheCircuitTransportAndUnknownPathsStayReachableSoPublicPagesWork()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var negotiate = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", null, Token);
        using var unknown = await client.GetAsync("/no-such-page", Token);

        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task SignedInUsersReachProtectedPages()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await client.SignInAsync("Hana Member");

        using var response = await client.GetAsync("/account/access-denied", Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Access denied", await response.Content.ReadAsStringAsync(Token), StringComparison.Ordinal);
    }

    private List<RouteEndpoint> Endpoints() =>
        [.. factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    private static string Route(RouteEndpoint endpoint) => "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');

    private static bool IsStaticAsset(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().Name == "StaticAssetDescriptor")
        || (endpoint.RoutePattern.Parameters.Count == 0 && Route(endpoint).Contains('.', StringComparison.Ordinal))
        // The static files' fallback for file names: it serves nothing but "not found" to anyone.
        || (endpoint.Metadata.Any(m => m.GetType().Name == "FallbackMetadata") && Route(endpoint) == "/{**path:file}");

    /// <summary>Blazor's circuit hub: public pages need it; every page inside a circuit is authorized again.</summary>
    private static bool IsCircuitTransport(RouteEndpoint endpoint) =>
        Route(endpoint).StartsWith("/_blazor", StringComparison.OrdinalIgnoreCase);

    private static string SamplePath(RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (var part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart parameter => SampleValue(parameter),
                    _ => "",
                });
            }
        }
        return path.Length == 0 ? "/" : path.ToString();
    }

    private static string SampleValue(RoutePatternParameterPart parameter)
    {
        var constraints = parameter.ParameterPolicies.Select(p => p.Content).ToList();
        return constraints.Contains("int") || constraints.Contains("long") ? "1"
            : constraints.Contains("guid") ? Guid.NewGuid().ToString()
            : constraints.Contains("file") ? "sample.txt"
            : "sample";
    }
}
