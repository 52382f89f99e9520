using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;

namespace Portal.Tracking;

/// <summary>A result file whose size was measured: its format, its rows and its bytes.</summary>
public readonly record struct FileSizeSample(FileFormat Format, long Rows, long Bytes);

/// <summary>What the measured files of each format say about the size of a new export's files.</summary>
public sealed class FileSizeRates(IReadOnlyList<FileSizeSample> measured)
{
    public static FileSizeRates None { get; } = new([]);

    /// <summary>Bytes of <paramref name="rows"/> rows in <paramref name="format"/>; null while none were measured.</summary>
    public long? Estimate(FileFormat format, long rows) => FileSizeEstimates.Estimate(measured, format, rows);
}

/// <summary>Roughly how large an export's files will be, by format.</summary>
public interface IFileSizeEstimates
{
    Task<FileSizeRates> LoadAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Roughly how large an export's files will be, from the sizes stored with the files of recent completed exports
/// (measured when they completed, or when they were downloaded or previewed): the database is shared by every
/// instance and outlives a restart. An export counts once all its files are measured; with none for a format there
/// is no estimate for it.
/// </summary>
public sealed class FileSizeEstimates(IDbContextFactory<PortalDbContext> dbFactory) : IFileSizeEstimates
{
    /// <summary>How many recent measured exports are looked at.</summary>
    public const int RecentExports = 500;

    public async Task<FileSizeRates> LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var measured = await db.ExportRequests.IgnoreQueryFilters().AsNoTracking()
            .Where(e => e.CompletedAt != null && e.RowCount > 0 && e.Files.Any() && e.Files.All(f => f.SizeBytes != null))
            .OrderByDescending(e => e.CompletedAt)
            .Take(RecentExports)
            .Select(e => new { e.Format, Rows = e.RowCount!.Value, Bytes = e.Files.Sum(f => f.SizeBytes!.Value) })
            .ToListAsync(cancellationToken);
        return new FileSizeRates([.. measured.Select(m => new FileSizeSample(m.Format, m.Rows, m.Bytes))]);
    }

    /// <summary>
    /// The median bytes per row of the measured files of that format, times the rows. The median, because a
    /// small file's fixed overhead (headers, footers) makes its bytes per row an outlier.
    /// </summary>
    public static long? Estimate(IEnumerable<FileSizeSample> measured, FileFormat format, long rows)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var perRow = measured
            .Where(s => s.Format == format && s.Rows > 0 && s.Bytes > 0)
            .Select(s => (double)s.Bytes / s.Rows)
            .Order()
            .ToArray();
        if (perRow.Length == 0 || rows <= 0)
        {
            return null;
        }
        var middle = perRow.Length / 2;
        var median = perRow.Length % 2 == 1 ? perRow[middle] : (perRow[middle - 1] + perRow[middle]) / 2;
        return (long)Math.Round(median * rows);
    }
}
