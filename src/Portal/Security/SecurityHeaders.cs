using Microsoft.AspNetCore.Builder;

namespace Portal.Security;

/// <summary>The response headers every page of the portal carries.</summary>
public static class SecurityHeaders
{
    /// <summary>The policy of responses that carry a result file (<c>WithSecurityHeadersPolicy</c>).</summary>
    public const string DownloadPolicy = "download";

    /// <summary>
    /// A result file is whatever the file host sent: never sniffed into something else, and even if a browser renders
    /// it, it runs in a sandbox with no access to the portal's origin.
    /// </summary>
    internal static HeaderPolicyCollection BuildDownload() => new HeaderPolicyCollection()
        .AddContentTypeOptionsNoSniff()
        .AddReferrerPolicyNoReferrer()
        .AddFrameOptionsDeny()
        .RemoveServerHeader()
        .AddContentSecurityPolicy(csp => csp.AddSandbox());

    /// <summary>
    /// Blazor Server and MudBlazor need: scripts from this origin only, plus the inline import map, which gets the
    /// request's nonce; inline styles (MudBlazor's theme is a <c>&lt;style&gt;</c> element and its components set
    /// <c>style</c> attributes, so neither a nonce nor hashes can cover them); <c>data:</c> images (MudBlazor's
    /// stylesheet embeds a few); the circuit's WebSocket to this host, which
    /// <c>'self'</c> covers in every CSP level 3 browser. No <c>unsafe-eval</c>: neither
    /// <c>blazor.web.js</c> nor MudBlazor evaluates strings. Forms may post here and, with Entra ID, to the sign-in
    /// authority, because a sign-out form is answered with a redirect there.
    /// </summary>
    public static HeaderPolicyCollection Build(bool isDevelopment, string? signInAuthority)
    {
        var policies = new HeaderPolicyCollection()
            .AddContentTypeOptionsNoSniff()
            // Pre-signed download URLs are credentials: never let a page's address travel in a Referer.
            .AddReferrerPolicyNoReferrer()
            .AddFrameOptionsDeny()
            .AddCrossOriginOpenerPolicy(b => b.SameOrigin())
            .RemoveServerHeader()
            .AddContentSecurityPolicy(csp =>
            {
                csp.AddDefaultSrc().Self();
                csp.AddScriptSrc().Self().WithNonce();
                csp.AddStyleSrc().Self().UnsafeInline();
                csp.AddImgSrc().Self().Data();
                csp.AddFontSrc().Self();
                csp.AddConnectSrc().Self();
                csp.AddObjectSrc().None();
                csp.AddFrameAncestors().None();
                csp.AddBaseUri().Self();
                var formAction = csp.AddFormAction().Self();
                if (signInAuthority is not null)
                {
                    formAction.From(signInAuthority);
                }
                // report-uri for browsers without the Reporting API; report-to names the Reporting-Endpoints entry.
                csp.AddReportUri().To(CspReportEndpoints.Path);
                csp.AddReportTo(CspReportEndpoints.ReportingGroup);
                if (!isDevelopment)
                {
                    csp.AddUpgradeInsecureRequests();
                }
            });
        return policies;
    }
}
