namespace Portal.Security;

/// <summary>
/// The portal's public address, for absolute links the portal hands out (API links, the <c>Reporting-Endpoints</c>
/// header): <c>Webhooks:PortalBaseUrl</c>, else <c>Notifications:Email:PortalUrl</c>. A request's <c>Host</c> header is
/// whatever the caller sent, so it is used only when neither is set (Development, tests).
/// </summary>
public static class PortalPublicUrl
{
    public const string WebhooksKey = "Webhooks:PortalBaseUrl";

    public const string EmailKey = "Notifications:Email:PortalUrl";

    /// <summary>The configured address without a trailing slash, or null when none is set.</summary>
    public static string? Configured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var key in (ReadOnlySpan<string>)[WebhooksKey, EmailKey])
        {
            if (Uri.TryCreate(configuration[key], UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp))
            {
                return url.GetLeftPart(UriPartial.Path).TrimEnd('/');
            }
        }
        return null;
    }

    /// <summary>The root that absolute links of <paramref name="request"/> start with: the configured address, else the request's origin.</summary>
    public static string Root(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Configured(request.HttpContext.RequestServices.GetRequiredService<IConfiguration>())
            ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
    }
}
