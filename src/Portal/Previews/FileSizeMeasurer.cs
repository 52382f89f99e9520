using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using DeviceStatus.Formats.Preview;
using Portal.Exports;

namespace Portal.Previews;

/// <summary>Measuring the files of completed exports, section <c>FileSizes</c>.</summary>
public sealed class FileSizeOptions
{
    public const string SectionName = "FileSizes";

    /// <summary>Off: sizes are learned only when files are downloaded as a zip or previewed.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often to look for files of completed exports whose size is not known yet.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most files measured in one pass: each is a call against the shared budget.</summary>
    [Range(1, 100)]
    public int BatchSize { get; set; } = 5;

    /// <summary>How long a file whose measuring failed is left alone before it is tried again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Learns the size of every file of a completed export soon after it completes, while its link is valid, and stores
/// it with the file: the new-export page's rough sizes (<see cref="Tracking.FileSizeEstimates"/>) come from these,
/// so they appear without anyone downloading. One ranged <c>GET</c> of one byte per file, through the download
/// client and the shared call budget (<see cref="ResultFileHost"/>). Two instances may measure one file twice; the
/// second writes the same number.
/// </summary>
public sealed partial class FileSizeMeasurer(
    IDbContextFactory<PortalDbContext> dbFactory,
    ResultFileHost host,
    TimeProvider time,
    IOptions<FileSizeOptions> options,
    ILogger<FileSizeMeasurer> logger) : BackgroundService
{
    private readonly Dictionary<long, DateTimeOffset> _failedUntil = [];

    /// <summary>Measures the files due now; returns how many sizes were stored.</summary>
    public async Task<int> MeasureDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        foreach (var (id, until) in _failedUntil.Where(f => f.Value <= now).ToList())
        {
            _failedUntil.Remove(id);
        }
        var skipped = _failedUntil.Keys.ToList();

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = await db.ExportFiles
            .Where(f => f.SizeBytes == null && f.UrlExpiresAt > now && !skipped.Contains(f.Id)
                && db.ExportRequests.Any(e => e.Id == f.ExportId && e.Status == ExportStatus.Completed))
            .OrderBy(f => f.Id)
            .Take(settings.BatchSize)
            .Select(f => new { f.Id, f.ExportId, f.Part, f.Url })
            .ToListAsync(cancellationToken);

        var stored = 0;
        foreach (var file in due)
        {
            long? size;
            try
            {
                size = await host.MeasureAsync(new Uri(file.Url), cancellationToken);
            }
            catch (PreviewProblemException ex)
            {
                // The budget is spent or the file host did not answer: later, not now.
                LogNotMeasured(logger, file.Part, file.ExportId, ex.Message);
                _failedUntil[file.Id] = time.GetUtcNow() + settings.RetryAfter;
                break;
            }
            if (size is not { } bytes)
            {
                _failedUntil[file.Id] = time.GetUtcNow() + settings.RetryAfter;
                continue;
            }
            stored += await db.ExportFiles.Where(f => f.Id == file.Id && f.SizeBytes == null)
                .ExecuteUpdateAsync(s => s.SetProperty(f => f.SizeBytes, bytes), cancellationToken);
        }
        return stored;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await MeasureDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPassFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Part {Part} of export {ExportId} was not measured: {Reason}")]
    private static partial void LogNotMeasured(ILogger logger, int part, Guid exportId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A pass measuring result files failed.")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
