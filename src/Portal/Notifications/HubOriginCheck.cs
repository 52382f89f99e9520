using Microsoft.Extensions.Options;

namespace Portal.Notifications;

/// <summary>
/// Refuses the hub's and the Blazor circuits' handshakes (negotiate, WebSocket upgrade, long polling) that a browser
/// sends from a page of another origin: the session cookie would go along, so such a page could otherwise read the
/// signed-in user's exports through the hub. Allowed: the origin the request was sent to (its own host and port) and
/// those of <c>Notifications:AllowedOrigins</c>. A request without <c>Origin</c> does not come from a page and passes.
/// </summary>
public sealed partial class HubOriginCheck(RequestDelegate next, IOptions<NotificationOptions> options, ILogger<HubOriginCheck> logger)
{
    public const string BlazorPath = "/_blazor";

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if ((path.StartsWithSegments(ExportsHub.Path) || path.StartsWithSegments(BlazorPath))
            && context.Request.Headers.Origin.ToString() is { Length: > 0 } origin
            && !IsAllowed(origin, context.Request))
        {
            LogForeignOrigin(logger, path, origin.Length > 200 ? origin[..200] : origin);
            // A body of its own, so the status code pages do not re-execute the request as a page.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("A page of another origin may not open this connection.", context.RequestAborted);
            return;
        }
        await next(context);
    }

    private bool IsAllowed(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return false;
        }
        if (options.Value.AllowedOrigins.Any(allowed => Uri.TryCreate(allowed, UriKind.Absolute, out var a)
            && string.Equals(a.Scheme, uri.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(a.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
            && a.Port == uri.Port))
        {
            return true;
        }
        // The host the browser sent the request to: a page of another origin cannot choose it. The scheme is not
        // compared, since a TLS proxy may forward https as http.
        var host = request.Host;
        return host.HasValue
            && string.Equals(host.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
            && (host.Port ?? uri.Port) == uri.Port
            && (host.Port is not null || uri.IsDefaultPort);
    }

    [LoggerMessage(LogLevel.Warning, "Refused a hub handshake on {Path} from the foreign origin {Origin}")]
    private static partial void LogForeignOrigin(ILogger logger, PathString path, string origin);
}
