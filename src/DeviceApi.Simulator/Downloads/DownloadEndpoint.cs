using System.Globalization;
using DeviceApi.Simulator.Api;
using DeviceApi.Simulator.Formats;
using DeviceApi.Simulator.Jobs;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace DeviceApi.Simulator.Downloads;

/// <summary>
/// Serves result files to pre-signed URLs, checking signature (403), then expiry (403), then existence (404).
/// No Authorization header: the URL is the credential.
/// </summary>
internal static class DownloadEndpoint
{
    public static IResult Handle(
        HttpContext context, string requestUuid, string fileName, UrlSigner signer, JobStore jobs, DownloadMeter meter, TimeProvider time)
    {
        var path = RawPath(context);
        var expires = context.Request.Query["expires"].ToString();
        var signature = context.Request.Query["signature"].ToString();
        if (!signer.IsValid(path, expires, signature))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, "invalid signature", "The URL's signature does not match.");
        }

        if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(expiresAt))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, "expired", "The URL has expired; get a fresh one from the status.");
        }

        var job = Guid.TryParse(requestUuid, out var id) ? jobs.Find(id) : null;
        var file = job?.State.Files?.FirstOrDefault(f => f.Name == fileName);
        if (job is null || file is null || !File.Exists(file.Path))
        {
            return Problems.Of(StatusCodes.Status404NotFound, "Not Found", "The result does not exist or has been purged.");
        }

        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{file.Name}\"";
        if (HttpMethods.IsGet(context.Request.Method))
        {
            // On starting, not on completion: by the time a client holds the answer, it is counted.
            context.Response.OnStarting(() =>
            {
                if (context.Response.StatusCode is StatusCodes.Status200OK or StatusCodes.Status206PartialContent && context.Response.ContentLength is { } served)
                {
                    meter.Served(served);
                }

                return Task.CompletedTask;
            });
        }

        var etag = new EntityTagHeaderValue($"\"{id:N}-{file.Index}-{file.Length}\"");
        return TypedResults.PhysicalFile(
            file.Path, job.Format.ContentType(), entityTag: etag, enableRangeProcessing: true);
    }

    /// <summary>The path exactly as the client sent it (still percent-encoded), which is what was signed.</summary>
    private static string RawPath(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            return (context.Request.PathBase + context.Request.Path).ToUriComponent();
        }

        var query = target.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? target : target[..query];
    }
}
