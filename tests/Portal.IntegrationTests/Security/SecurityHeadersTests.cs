using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.IntegrationTests.Security;

public partial class SecurityHeadersTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryHtmlResponseCarriesTheHeaders()
    {
        using var anonymous = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var signedIn = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await signedIn.SignInAsync("Ivy Headers");
        var pages = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<ComponentTypeMetadata>() is not null && e.RoutePattern.Parameters.Count == 0)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Append("/no-such-page")
            .ToList();
        Assert.True(pages.Count >= 5, "the portal's pages were found");

        var checkedResponses = 0;
        foreach (var client in new[] { anonymous, signedIn })
        {
            foreach (var page in pages)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, page);
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
                using var response = await client.SendAsync(request, Token);
                if (response.Content.Headers.ContentType?.MediaType != "text/html")
                {
                    Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
                    continue;
                }

                AssertSecurityHeaders(response, await response.Content.ReadAsStringAsync(Token), $"{page} ({(client == anonymous ? "anonymous" : "signed in")})");
                checkedResponses++;
            }
        }
        Assert.True(checkedResponses > pages.Count, "pages were checked both signed in and not");
    }

    [Fact]
    public async Task NonHtmlResponsesStillForbidSniffingAndReferrers()
    {
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/", Token);
        var stylesheet = MudBlazorCss().Match(html).Value;

        using var response = await client.GetAsync("/" + stylesheet, Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
    }

    internal static void AssertSecurityHeaders(HttpResponseMessage response, string html, string what)
    {
        var csp = Header(response, "Content-Security-Policy");
        Assert.True(csp is not null, $"{what} has no Content-Security-Policy");
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d[(d.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        Assert.Equal("'self'", directives["default-src"]);
        Assert.Equal("'none'", directives["object-src"]);
        Assert.Equal("'none'", directives["frame-ancestors"]);
        Assert.Equal("'self'", directives["base-uri"]);
        Assert.Contains("'self'", directives["connect-src"], StringComparison.Ordinal);
        Assert.Equal("'self' 'unsafe-inline'", directives["style-src"]);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", directives["script-src"], StringComparison.Ordinal);

        // The only inline script, the import map, carries this response's nonce.
        var nonce = ScriptNonce().Match(directives["script-src"]).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(nonce), $"{what}: script-src has no nonce");
        var importMap = ImportMapNonce().Match(html);
        Assert.True(importMap.Success, $"{what} has no import map with a nonce");
        Assert.Equal(nonce, WebUtility.HtmlDecode(importMap.Groups[1].Value));
        Assert.DoesNotMatch(InlineScriptWithoutNonce(), html);

        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal("no-referrer", Header(response, "Referrer-Policy"));
        Assert.Equal("DENY", Header(response, "X-Frame-Options"));
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    [GeneratedRegex("""<script type="importmap" nonce="([^"]+)">""")]
    private static partial Regex ImportMapNonce();

    [GeneratedRegex(@"'nonce-([^']+)'")]
    private static partial Regex ScriptNonce();

    [GeneratedRegex(@"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)[^>]*>")]
    private static partial Regex InlineScriptWithoutNonce();

    [GeneratedRegex(@"_content/MudBlazor/MudBlazor\.min\.[a-z0-9]{6,}\.css")]
    private static partial Regex MudBlazorCss();
}
