using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static Portal.IntegrationTests.Api.ApiCalls;

namespace Portal.IntegrationTests.Api;

/// <summary>The OpenAPI document and the reference page for script writers.</summary>
public partial class OpenApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDocumentIsServedAndListsEveryApiEndpoint()
    {
        using var client = portal.ApiClient(null);

        using var response = await client.GetAsync("/openapi/v1.json", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await JsonAsync(response);
        var paths = document.GetProperty("paths");
        var api = portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true)
            .ToList();
        Assert.True(api.Count >= 5, $"Only {api.Count} API endpoints found.");
        foreach (var endpoint in api)
        {
            // The document writes route parameters without their constraints ({id:guid} is {id}) and no trailing slash.
            var path = ConstraintPattern().Replace(endpoint.RoutePattern.RawText!, "}").TrimEnd('/');
            Assert.True(paths.TryGetProperty(path, out var operations), $"{path} is missing from the document.");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods)
            {
                Assert.True(operations.TryGetProperty(method.ToLowerInvariant(), out _), $"{method} {path} is missing from the document.");
            }
        }
        Assert.Equal("http", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("PersonalAccessToken").GetProperty("type").GetString());
        Assert.DoesNotContain(paths.EnumerateObject(), p => !p.Name.StartsWith("/api/v1/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheReferencePageRunsUnderThePortalsContentSecurityPolicy()
    {
        using var client = portal.ApiClient(null);

        using var response = await client.GetAsync("/api/docs/v1", Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Cancellation);
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = Assert.Single(NoncePattern().Matches(csp)).Groups[1].Value;
        var scripts = ScriptPattern().Matches(html);
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains($"nonce=\"{nonce}\"", WebUtility.HtmlDecode(s.Value), StringComparison.Ordinal));
        Assert.DoesNotContain("unsafe-inline", csp.Split(';').Single(d => d.Trim().StartsWith("script-src", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("cdn.", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TheIntroductionShowsTheAuthorizationHeaderAsCodeSoTheReferencePageRendersItWhole()
    {
        using var client = portal.ApiClient(null);

        using var response = await client.GetAsync("/openapi/v1.json", Cancellation);

        // The description is CommonMark: a "<token>" outside a code span is an HTML tag that the page drops.
        var description = (await JsonAsync(response)).GetProperty("info").GetProperty("description").GetString()!;
        Assert.Contains("`Authorization: Bearer <token>`", description, StringComparison.Ordinal);
        Assert.DoesNotContain("<", CodeSpanPattern().Replace(description, ""), StringComparison.Ordinal);
    }

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpanPattern();

    [GeneratedRegex(@":[^}]+\}")]
    private static partial Regex ConstraintPattern();

    [GeneratedRegex(@"'nonce-([^']+)'")]
    private static partial Regex NoncePattern();

    [GeneratedRegex(@"<script[^>]*>")]
    private static partial Regex ScriptPattern();
}
