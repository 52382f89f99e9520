using System.Globalization;
using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;

namespace Portal.Previews;

/// <summary>
/// <c>GET /exports/{id}/files/all.zip</c>: every part of an export, in part order, as one zip streamed from the file
/// host straight into the response (no temporary file, one part's buffer at a time). Authorized and audited like a
/// download (the zip, and each part in it): an export the user may not read is 404.
/// </summary>
public static partial class ZipDownloadEndpoints
{
    public static IEndpointRouteBuilder MapZipDownload(this IEndpointRouteBuilder app)
    {
        app.MapGet("/exports/{id:guid}/files/all.zip", DownloadAllAsync)
            .RequireAuthorization()
            .WithName("DownloadAllExportFiles")
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>The zip's name: the format and the range's start, readable in a downloads folder.</summary>
    public static string ZipName(ResultFileSet files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return string.Create(CultureInfo.InvariantCulture,
            $"export-{files.Format.ApiName().ToLowerInvariant()}-{files.RangeFrom.UtcDateTime:yyyyMMdd-HHmm}-{files.ExportId.ToString("N")[..8]}.zip");
    }

    private static async Task DownloadAllAsync(
        Guid id,
        HttpContext context,
        [FromServices] IDownloadLinks links,
        [FromServices] ResultFileHost host,
        [FromServices] PreviewConcurrency concurrency,
        [FromServices] IOptions<PortalAuthorizationOptions> authorizationOptions,
        [FromServices] AuditLog audit,
        [FromServices] ILoggerFactory loggers)
    {
        var user = ExportUser.FromPrincipal(context.User, authorizationOptions.Value.AdminRole);
        context.Response.Headers.CacheControl = "no-store";
        using var slot = concurrency.TryEnter(PreviewConcurrency.Kind.Zip, user.Id);
        if (slot is null)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = "30";
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                $"You are downloading {concurrency.Limit(PreviewConcurrency.Kind.Zip)} zips already; wait for one to finish, then try again."), context.RequestAborted);
            return;
        }

        var files = await links.GetFilesAsync(user, id, "Download", context.RequestAborted);
        if (files is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        audit.DownloadedAll(user.Id, id, files.Files.Count);
        var logger = loggers.CreateLogger(typeof(ZipDownloadEndpoints).FullName!);
        context.Response.ContentType = "application/zip";
        context.Response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = ZipName(files) }.ToString();
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // Over the response's pipe rather than its stream: the archive still writes some headers synchronously, which the
        // pipe takes into its buffer, while Kestrel's stream would refuse them.
        await using var body = context.Response.BodyWriter.AsStream(leaveOpen: true);
        await using var zip = await ZipArchive.CreateAsync(body, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, context.RequestAborted);
        foreach (var part in files.Files)
        {
            // Each part gets a link that is fresh when it starts, however long the parts before it took.
            var link = (await links.GetFilesAsync(user, id, "Download", context.RequestAborted))?.Files.FirstOrDefault(f => f.Part == part.Part);
            using var response = link is null ? null : await host.GetAsync(link.Url, context.RequestAborted);
            if (response is not { IsSuccessStatusCode: true })
            {
                // The zip has started: the only honest signal left is to break it off, so nobody keeps a partial archive.
                LogPartFailed(logger, part.Part, id, response is null ? 0 : (int)response.StatusCode);
                context.Abort();
                return;
            }

            audit.Downloaded(user.Id, id, part.Part);
            if (part.SizeBytes is null && response.Content.Headers.ContentLength is { } size)
            {
                await links.StoreSizeAsync(id, part.Part, size, context.RequestAborted);
            }

            // Stored, not deflated: the binary formats are compressed already and the text formats stream faster this way.
            var entry = zip.CreateEntry(part.Name, CompressionLevel.NoCompression);
            await using var target = await entry.OpenAsync(context.RequestAborted);
            await using var source = await response.Content.ReadAsStreamAsync(context.RequestAborted);
            await source.CopyToAsync(target, context.RequestAborted);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The zip of export {ExportId} was broken off at part {Part}: the file host answered {Status}.")]
    private static partial void LogPartFailed(ILogger logger, int part, Guid exportId, int status);
}
