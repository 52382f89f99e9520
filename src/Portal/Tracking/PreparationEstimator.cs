using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Tracking;

/// <summary>When, measured from submission, a request is likely to complete.</summary>
public readonly record struct PreparationEstimate(TimeSpan Earliest, TimeSpan Typical, TimeSpan Latest);

/// <summary>
/// Preparation times of completed requests like one (same format, similar span): percentiles of what was measured,
/// over <see cref="Samples"/> requests.
/// </summary>
public readonly record struct PreparationPercentiles(TimeSpan P5, TimeSpan P50, TimeSpan P95, int Samples);

/// <summary>One completed request: format, size and how long the upstream took.</summary>
public readonly record struct PreparationSample(FileFormat Format, long Minutes, TimeSpan Duration);

/// <summary>
/// Learns preparation times from completed requests (the database holds them; this keeps the recent ones at
/// hand) and estimates them for a new request by format and range size.
/// </summary>
public sealed class PreparationEstimator(IDbContextFactory<PortalDbContext> dbFactory, IOptions<TrackerOptions> options)
{
    private const int MinSamples = 4;
    private const int Neighbours = 12;
    private const int SimilarSamples = 40;
    private const double SimilarSpanFactor = 4;

    /// <summary>Spans within this factor count as the same span for <see cref="Estimate(IReadOnlyList{PreparationSample}, FileFormat, long)"/>.</summary>
    private const double SameSpanFactor = 1.25;

    private readonly Lock gate = new();
    private readonly LinkedList<PreparationSample> samples = new();
    private bool loaded;

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var recent = await db.ExportRequests
            .Where(e => e.CompletedAt != null && e.SubmittedAt != null)
            .OrderByDescending(e => e.CompletedAt)
            .Take(options.Value.HistorySize)
            .Select(e => new { e.Format, e.RangeFrom, e.RangeTo, e.SubmittedAt, e.CompletedAt })
            .ToListAsync(cancellationToken);
        lock (gate)
        {
            samples.Clear();
            foreach (var r in recent)
            {
                samples.AddLast(new PreparationSample(r.Format, new TimeRange(r.RangeFrom, r.RangeTo).Minutes, r.CompletedAt!.Value - r.SubmittedAt!.Value));
            }
            loaded = true;
        }
    }

    public bool IsLoaded
    {
        get
        {
            lock (gate)
            {
                return loaded;
            }
        }
    }

    public void Add(PreparationSample sample)
    {
        lock (gate)
        {
            samples.AddFirst(sample);
            while (samples.Count > options.Value.HistorySize)
            {
                samples.RemoveLast();
            }
        }
    }

    public PreparationPercentiles? Similar(FileFormat format, long minutes)
    {
        PreparationSample[] copy;
        lock (gate)
        {
            copy = [.. samples];
        }
        return Similar(copy, format, minutes);
    }

    /// <summary>
    /// The 5th, 50th and 95th percentile of the measured durations of the requests most like this one: same format,
    /// a span within a factor of <see cref="SimilarSpanFactor"/>, the closest in span (then the most recent) first.
    /// Null while fewer than <see cref="MinSamples"/> such requests completed: no history is no estimate.
    /// </summary>
    public static PreparationPercentiles? Similar(IReadOnlyList<PreparationSample> history, FileFormat format, long minutes)
    {
        ArgumentNullException.ThrowIfNull(history);
        var size = Math.Log(Math.Max(minutes, 1));
        var durations = history
            .Where(s => s.Format == format)
            .Select(s => (Sample: s, Distance: Math.Abs(Math.Log(Math.Max(s.Minutes, 1)) - size)))
            .Where(s => s.Distance <= Math.Log(SimilarSpanFactor))
            .OrderBy(s => s.Distance)
            .Take(SimilarSamples)
            .Select(s => Math.Max(s.Sample.Duration.TotalSeconds, 0))
            .Order()
            .ToArray();
        if (durations.Length < MinSamples)
        {
            return null;
        }
        return new PreparationPercentiles(
            TimeSpan.FromSeconds(Quantile(durations, 0.05)),
            TimeSpan.FromSeconds(Quantile(durations, 0.5)),
            TimeSpan.FromSeconds(Quantile(durations, 0.95)),
            durations.Length);
    }

    public PreparationEstimate? Estimate(FileFormat format, long minutes)
    {
        PreparationSample[] copy;
        lock (gate)
        {
            copy = [.. samples];
        }
        return Estimate(copy, format, minutes);
    }

    /// <summary>
    /// Takes the completed requests most like this one (same format, closest in range size; all formats while one
    /// has too few), fits duration ≈ a + b·minutes over them, and widens the fit by how far they actually strayed
    /// from it: earliest and latest are the 5th and 95th percentile of observed/fitted, applied to this request.
    /// Once <see cref="MinSamples"/> of them have nearly this span (within <see cref="SameSpanFactor"/>), only those
    /// count: a line through other spans widens the window wherever preparation time is not linear in the span (a
    /// fixed minimum time for small ones, for one).
    /// </summary>
    public static PreparationEstimate? Estimate(IReadOnlyList<PreparationSample> history, FileFormat format, long minutes)
    {
        ArgumentNullException.ThrowIfNull(history);
        var same = history.Where(s => s.Format == format).ToList();
        var candidates = same.Count >= MinSamples ? same : history.Count >= MinSamples * 2 ? [.. history] : null;
        if (candidates is null)
        {
            return null;
        }

        var size = Math.Log(Math.Max(minutes, 1));
        var nearest = candidates
            .Select(s => (Sample: s, Distance: Math.Abs(Math.Log(Math.Max(s.Minutes, 1)) - size)))
            .OrderBy(s => s.Distance)
            .ToList();
        var sameSpan = nearest.TakeWhile(s => s.Distance <= Math.Log(SameSpanFactor)).Count();
        var pool = nearest
            .Take(sameSpan >= MinSamples ? Math.Min(sameSpan, Neighbours) : Neighbours)
            .Select(s => s.Sample)
            .ToList();
        var (a, b) = Fit(pool);
        var ratios = pool
            .Select(s => (s.Duration.TotalSeconds + 0.5) / (Math.Max(a + (b * s.Minutes), 0) + 0.5))
            .Order()
            .ToArray();
        var fitted = Math.Max(a + (b * minutes), 0) + 0.5;
        var low = fitted * Quantile(ratios, 0.05);
        var typical = fitted * Quantile(ratios, 0.5);
        var high = fitted * Quantile(ratios, 0.95);
        return new PreparationEstimate(
            TimeSpan.FromSeconds(Math.Max(low - 0.5, 0)),
            TimeSpan.FromSeconds(Math.Max(typical - 0.5, 0)),
            TimeSpan.FromSeconds(Math.Max(high - 0.5, 0)));
    }

    private static (double A, double B) Fit(List<PreparationSample> pool)
    {
        var n = pool.Count;
        var meanX = pool.Average(s => (double)s.Minutes);
        var meanY = pool.Average(s => s.Duration.TotalSeconds);
        var sxx = pool.Sum(s => (s.Minutes - meanX) * (s.Minutes - meanX));
        if (n < 2 || sxx < 1e-9)
        {
            return (meanY, 0);
        }
        var sxy = pool.Sum(s => (s.Minutes - meanX) * (s.Duration.TotalSeconds - meanY));
        var slope = Math.Max(sxy / sxx, 0);
        return (meanY - (slope * meanX), slope);
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }
}
