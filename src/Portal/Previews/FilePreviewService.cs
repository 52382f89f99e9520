using DeviceStatus.Formats;
using DeviceStatus.Formats.Preview;
using Microsoft.Extensions.Options;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;

namespace Portal.Previews;

/// <summary>What a preview request came to: the first rows, or a message that says why not.</summary>
public abstract record PreviewOutcome
{
    private PreviewOutcome()
    {
    }

    public sealed record Shown(FilePreview Preview) : PreviewOutcome;

    /// <param name="CapTooSmall">The file is fine but its first rows lie beyond <c>Preview:MaxBytes</c>.</param>
    public sealed record Problem(string Message, bool CapTooSmall = false) : PreviewOutcome;

    public sealed record NotFound : PreviewOutcome;
}

/// <summary>File previews and sizes, as the export page uses them.</summary>
public interface IFilePreviewService
{
    Task<PreviewOutcome> PreviewAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);
}

/// <summary>
/// Previews result files through ranged reads, authorized and audited like a download, and learns file sizes on the
/// way (a ranged answer's total, or a <c>HEAD</c> when the page needs sizes before any preview).
/// </summary>
public sealed partial class FilePreviewService(
    IDownloadLinks links,
    ResultFileHost host,
    IOptions<PreviewOptions> options,
    PreviewConcurrency concurrency,
    ILoggerFactory loggers,
    ILogger<FilePreviewService> logger) : IFilePreviewService
{
    private readonly ILogger _audit = loggers.CreateLogger(AuditLog.Category);

    public async Task<PreviewOutcome> PreviewAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var files = await links.GetFilesAsync(user, id, "Preview", cancellationToken);
        var file = files?.Files.FirstOrDefault(f => f.Part == part);
        if (files is null || file is null)
        {
            return new PreviewOutcome.NotFound();
        }

        using var slot = concurrency.TryEnter(PreviewConcurrency.Kind.Preview, user.Id);
        if (slot is null)
        {
            LogNotPreviewed(logger, part, id, "too many previews under way for the user");
            return new PreviewOutcome.Problem(
                $"You have {concurrency.Limit(PreviewConcurrency.Kind.Preview)} previews loading already; wait for one to finish, then try again.");
        }

        LogPreviewed(_audit, user.Id, part, id);
        long? learned = null;
        try
        {
            var source = host.Ranges(file.Url, size => learned = size);
            return new PreviewOutcome.Shown(await FilePreviewReader.ReadAsync(files.Format, source, options.Value.MaxBytes, cancellationToken));
        }
        catch (PreviewProblemException ex) when (ex.InnerException is null)
        {
            LogNotPreviewed(logger, part, id, ex.Message);
            return new PreviewOutcome.Problem(ex.Message, ex.CapTooSmall);
        }
        catch (Exception ex) when (ex is PreviewProblemException or HttpRequestException or InvalidOperationException or IOException)
        {
            // What went wrong inside (a reader's or the network's own words) is for the log; the page shows where to find it.
            var reference = NewReference();
            LogPreviewFailed(logger, ex, part, id, reference);
            var said = ex is PreviewProblemException ? ex.Message.TrimEnd('.') + "." : "The preview could not be loaded.";
            return new PreviewOutcome.Problem($"{said} If it keeps happening, tell your administrator the reference {reference}.",
                (ex as PreviewProblemException)?.CapTooSmall ?? false);
        }
        finally
        {
            if (learned is { } size && size != file.SizeBytes)
            {
                await links.StoreSizeAsync(id, part, size, CancellationToken.None);
            }
        }
    }

    /// <summary>The size of every file of the export by part; unknown ones are asked of the file host once.</summary>
    public async Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        var sizes = await links.SizesAsync(user, id, cancellationToken);
        if (sizes.Count == 0 || sizes.Values.All(s => s is not null))
        {
            return sizes;
        }

        var files = await links.GetFilesAsync(user, id, "View", cancellationToken);
        var result = new Dictionary<int, long?>(sizes);
        foreach (var file in files?.Files ?? [])
        {
            if (file.SizeBytes is not null)
            {
                continue;
            }

            try
            {
                if (await host.SizeAsync(file.Url, cancellationToken) is { } size)
                {
                    result[file.Part] = size;
                    await links.StoreSizeAsync(id, file.Part, size, cancellationToken);
                }
            }
            catch (PreviewProblemException ex)
            {
                LogNotPreviewed(logger, file.Part, id, ex.Message);
            }
        }

        return result;
    }

    /// <summary>A short id that ties what a user was shown to the log line with the details.</summary>
    private static string NewReference() => Guid.NewGuid().ToString("N")[..12];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Part {Part} of export {ExportId} could not be previewed (reference {Reference})")]
    private static partial void LogPreviewFailed(ILogger logger, Exception exception, int part, Guid exportId, string reference);

    [LoggerMessage(EventId = 9007, EventName = "Previewed", Level = LogLevel.Information,
        Message = "Audit: {UserId} previewed part {Part} of export {ExportId}")]
    private static partial void LogPreviewed(ILogger logger, string userId, int part, Guid exportId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Part {Part} of export {ExportId} was not previewed: {Reason}")]
    private static partial void LogNotPreviewed(ILogger logger, int part, Guid exportId, string reason);
}
