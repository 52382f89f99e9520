using Portal.Data;
using Portal.Upstream;

namespace Portal.Exports;

/// <summary>
/// The links a completed status answer gives to a request's result files. The tracker stores them when a request
/// completes, and the download links store them again when they are renewed.
/// </summary>
public static class ResultFileUrls
{
    /// <summary>Stores fresh URLs of a completed request.</summary>
    public static void Store(ExportRequest request, UpstreamStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(status);
        var expires = status.UrlsExpireAt ?? now.AddMinutes(15);
        for (var part = 0; part < status.DownloadUrls.Count; part++)
        {
            var url = status.DownloadUrls[part];
            var file = request.Files.FirstOrDefault(f => f.Part == part);
            if (file is null)
            {
                file = new ExportFile { ExportId = request.Id, Part = part, Name = PartName(url, part, request.Format) };
                request.Files.Add(file);
            }
            file.Url = url.ToString();
            file.UrlExpiresAt = expires;
        }
    }

    private static string PartName(Uri url, int part, FileFormat format)
    {
        var last = Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? "");
        return last.Length is > 0 and <= 200 && !last.EndsWith('/') ? last : format.PartFileName(part);
    }
}
