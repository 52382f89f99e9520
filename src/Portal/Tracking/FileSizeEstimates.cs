using Portal.Exports;

namespace Portal.Tracking;

/// <summary>A result file whose size was measured: its format, its rows and its bytes.</summary>
public readonly record struct FileSizeSample(FileFormat Format, long Rows, long Bytes);

/// <summary>
/// Roughly how large an export's files will be, learned from files earlier exports measured. Whatever measures a
/// file's size (the files' sizes at completion, stored with them) feeds <see cref="Add"/>; with nothing measured yet
/// for a format there is no estimate for it.
/// </summary>
public sealed class FileSizeEstimates
{
    private const int SamplesPerFormat = 200;

    private readonly Lock gate = new();
    private readonly Dictionary<FileFormat, LinkedList<FileSizeSample>> samples = [];

    public void Add(FileSizeSample sample)
    {
        if (sample.Rows <= 0 || sample.Bytes <= 0)
        {
            return;
        }
        lock (gate)
        {
            if (!samples.TryGetValue(sample.Format, out var recent))
            {
                samples[sample.Format] = recent = new LinkedList<FileSizeSample>();
            }
            recent.AddFirst(sample);
            if (recent.Count > SamplesPerFormat)
            {
                recent.RemoveLast();
            }
        }
    }

    /// <summary>Bytes of <paramref name="rows"/> rows in <paramref name="format"/>; null while none were measured.</summary>
    public long? Estimate(FileFormat format, long rows)
    {
        FileSizeSample[] copy;
        lock (gate)
        {
            copy = samples.TryGetValue(format, out var recent) ? [.. recent] : [];
        }
        return Estimate(copy, format, rows);
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
