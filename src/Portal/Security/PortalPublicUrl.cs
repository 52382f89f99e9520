namespace Portal.Security;

/// <summary>
/// The portal's public address (<c>Webhooks:PortalBaseUrl</c>), for the absolute links it hands out: API links,
/// the <c>Reporting-Endpoints</c> header and webhook events. A request's <c>Host</c> header is whatever the caller
/// sent, so it is used only when the address is not set (Development, tests).
/// </summary>
public static class PortalPublicUrl
{
    public const string Key = "Webhooks:PortalBaseUrl";

    /// <summary>The configured address without a trailing slash, or null when none is set.</summary>
    public static string? Configured(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Uri.TryCreate(configuration[Key], UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : null;
    }

    /// <summary>The root that absolute links of <paramref name="request"/> start with: the configured address, else the request's origin.</summary>
    public static string Root(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Configured(request.HttpContext.RequestServices.GetRequiredService<IConfiguration>())
            ?? $"{request.Scheme}://{request.Host}{request.PathBase}";
    }
}
