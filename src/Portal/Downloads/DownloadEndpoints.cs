using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Exports;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Downloads;

public static class DownloadEndpoints
{
    public const string HttpClientName = "Downloads";

    /// <summary>What one read of a proxied file asks the response pipe for.</summary>
    private const int CopyChunkBytes = 64 * 1024;

    private static readonly string[] CopiedResponseHeaders =
    [
        HeaderNames.ContentLength, HeaderNames.ContentRange,
        HeaderNames.ETag, HeaderNames.AcceptRanges, HeaderNames.LastModified,
    ];

    private static readonly string[] ForwardedRequestHeaders = [HeaderNames.Range, HeaderNames.IfRange];

    public static IHostApplicationBuilder AddDownloads(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<IDownloadLinks, DownloadLinks>();
        builder.Services.AddOptions<DownloadOptions>()
            .BindConfiguration(DownloadOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<DownloadRedirects>();
        // A proxied file goes straight through to the browser and is never held, so the guard's size cap (there for
        // answers that are read into memory) does not apply; its time cap spans the whole transfer, so it is the
        // longest the guard allows. Security:Outbound:Downloads can still lower both.
        builder.Services.AddOptions<OutboundGuardOptions>(HttpClientName).Configure(guard =>
        {
            guard.MaxResponseBytes = long.MaxValue;
            guard.Timeout = TimeSpan.FromDays(1);
        });
        builder.Services.AddHttpClient(HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // The file is served as stored, not decoded.
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .AddOutboundGuard((guard, services) =>
            {
                var fileHosts = services.GetRequiredService<IOptions<DownloadOptions>>().Value.AllowedHosts;
                // Without file hosts of its own, the upstream serves its files itself (as the simulator does).
                foreach (var host in fileHosts.Count > 0 ? fileHosts : services.GetRequiredService<UpstreamEndpoint>().AllowedHosts())
                {
                    guard.AllowedHosts.Add(host);
                }
            });
        return builder;
    }

    /// <summary>
    /// <c>GET /exports/{id}/files/{part}</c>: a result file for whoever may read the export (<see cref="ResourceAccess"/>),
    /// each download audited; anyone else gets 404.
    /// </summary>
    public static IEndpointRouteBuilder MapDownloads(this IEndpointRouteBuilder app)
    {
        app.MapGet("/exports/{id:guid}/files/{part:int}", DownloadAsync)
            .RequireAuthorization()
            .WithSecurityHeadersPolicy(SecurityHeaders.DownloadPolicy)
            .WithName("DownloadExportFile")
            .ExcludeFromDescription();
        return app;
    }

    internal static async Task DownloadAsync(
        Guid id,
        int part,
        HttpContext context,
        [FromServices] IDownloadLinks links,
        [FromServices] IOptionsSnapshot<DownloadOptions> downloadOptions,
        [FromServices] IOptions<PortalAuthorizationOptions> authorizationOptions,
        [FromServices] IHttpClientFactory httpClients,
        [FromServices] DownloadRedirects redirects,
        [FromServices] AuditLog audit,
        [FromServices] ILoggerFactory loggers)
    {
        var user = ExportUser.FromPrincipal(context.User, authorizationOptions.Value.AdminRole);
        var link = await links.GetDownloadAsync(user, id, part, context.RequestAborted);
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        if (link is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var options = downloadOptions.Value;
        if (options.Mode == DownloadMode.Redirect)
        {
            if (redirects.Refusal(link.Url) is { } reason)
            {
                // Only where the URL points, never the URL: its query is a credential.
                audit.DownloadRefused(user.Id, id, part, link.Url.GetLeftPart(UriPartial.Authority), reason);
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    "This file cannot be downloaded: the file host named by the export service is not one the portal may send you to. " +
                    "The refusal has been recorded; please tell your administrator.", context.RequestAborted);
                return;
            }
            audit.Downloaded(user.Id, id, part);
            context.Response.Redirect(link.Url.AbsoluteUri);
            return;
        }

        var logger = loggers.CreateLogger(typeof(DownloadEndpoints).FullName!);
        await ProxyAsync(context, link, options, httpClients.CreateClient(HttpClientName), logger, () => audit.Downloaded(user.Id, id, part), id, part);
    }

    /// <summary>
    /// The media type of a result file by its (portal-built) extension: the format's own for the text formats,
    /// <c>application/octet-stream</c> for the binary ones; never one a browser would render.
    /// </summary>
    internal static string ContentTypeOf(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        foreach (var format in FileFormats.All)
        {
            if (format.IsText() && extension == "." + format.Extension())
            {
                return format.ContentType();
            }
        }
        return "application/octet-stream";
    }

    private static async Task ProxyAsync(HttpContext context, DownloadLink link, DownloadOptions options, HttpClient client,
        ILogger logger, Action downloaded, Guid id, int part)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, link.Url);
        foreach (var name in ForwardedRequestHeaders)
        {
            if (context.Request.Headers.TryGetValue(name, out var value))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
            }
        }

        HttpResponseMessage response;
        using (var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            headersTimeout.CancelAfter(options.Timeout);
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token);
            }
            catch (OutboundRequestRefusedException)
            {
                logger.LogWarning("Refused to stream part {Part} of export {ExportId}: its host is not an allowed file host (Downloads:AllowedHosts).", part, id);
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
            {
                logger.LogWarning("The file host did not answer for part {Part} of export {ExportId}: {Error}", part, id, ex.GetType().Name);
                context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
                return;
            }
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is not (200 or 206 or 304 or 404 or 416))
            {
                logger.LogWarning("The file host answered {Status} for part {Part} of export {ExportId}.", status, part, id);
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return;
            }

            if (status is 200 or 206)
            {
                downloaded();
            }
            context.Response.StatusCode = status;
            if (status == 416 && context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
            {
                // Not the pages' "not found": a range beyond the file is answered as such (the API adds its problem body).
                statusPages.Enabled = false;
            }
            foreach (var name in CopiedResponseHeaders)
            {
                // An error's body is the portal's own (the API's problem body), so its length is not the file host's.
                if (name == HeaderNames.ContentLength && status is not (200 or 206))
                {
                    continue;
                }
                if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }
            // Whatever the file host says, the file is saved, never shown: a file that is really HTML or script must not
            // run on the portal's origin. The name is the portal's own, not the host's.
            context.Response.Headers.ContentDisposition = ResultFileNames.ContentDisposition(link.FileName);
            context.Response.ContentType = ContentTypeOf(link.FileName);
            // X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox come with SecurityHeaders.DownloadPolicy.

            // Straight through: nothing may hold a whole file in memory.
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            await CopyToResponseAsync(body, context.Response.BodyWriter, context.RequestAborted);
        }
    }

    /// <summary>
    /// Reads the file host's body straight into the response pipe's own (pooled) memory and flushes each read: no
    /// buffer of its own, no second copy, nothing allocated per chunk, and at most one read held per download.
    /// </summary>
    internal static async Task CopyToResponseAsync(Stream body, PipeWriter response, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await body.ReadAsync(response.GetMemory(CopyChunkBytes), cancellationToken);
            if (read == 0)
            {
                return;
            }

            response.Advance(read);
            var flushed = await response.FlushAsync(cancellationToken);
            if (flushed.IsCompleted || flushed.IsCanceled)
            {
                return;
            }
        }
    }
}
