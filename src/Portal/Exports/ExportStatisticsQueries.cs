using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Upstream;

namespace Portal.Exports;

/// <summary>The admin dashboard's figures.</summary>
public interface IExportStatistics
{
    /// <summary>The figures since <paramref name="since"/>; null for a non-admin.</summary>
    Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default);
}

/// <summary>Every figure is aggregated by the database; only the aggregates travel.</summary>
public sealed class ExportStatisticsQueries(IDbContextFactory<PortalDbContext> dbFactory, UpstreamMonitor monitor) : IExportStatistics
{
    private static readonly double[] Quantiles = [0.5, 0.9, 0.95];

    public async Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!user.IsAdmin)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var created = db.ExportRequests.Where(e => e.CreatedAt >= since);

        var perDay = await created
            .GroupBy(e => new { e.CreatedDay, e.Status })
            .Select(g => new DailyStatusCount(g.Key.CreatedDay, g.Key.Status, g.Count()))
            .ToListAsync(cancellationToken);

        var completed = created.Where(e => (e.Status == ExportStatus.Completed || e.Status == ExportStatus.Expired) && e.SecondsToComplete != null);
        var counts = await completed
            .GroupBy(e => e.Format)
            .Select(g => new { Format = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var durations = new List<FormatDurations>(counts.Count);
        foreach (var (format, count) in counts.OrderBy(c => c.Format).Select(c => (c.Format, c.Count)))
        {
            var sorted = completed.Where(e => e.Format == format).OrderBy(e => e.SecondsToComplete).Select(e => e.SecondsToComplete!.Value);
            var values = new double[Quantiles.Length];
            for (var i = 0; i < Quantiles.Length; i++)
            {
                values[i] = await PercentileAsync(sorted, count, Quantiles[i], cancellationToken);
            }
            durations.Add(new FormatDurations(format, count, values[0], values[1], values[2]));
        }

        var failures = await created
            .Where(e => e.Status == ExportStatus.Failed || e.Status == ExportStatus.TimedOut)
            .GroupBy(e => e.Status == ExportStatus.TimedOut ? "Timed out" : e.LastError ?? "Unknown")
            .Select(g => new FailureReasonCount(g.Key, g.Count()))
            .ToListAsync(cancellationToken);

        var open = await db.ExportRequests
            .Where(e => e.Status == ExportStatus.Queued || e.Status == ExportStatus.Unconfirmed
                || e.Status == ExportStatus.Submitted || e.Status == ExportStatus.InProgress)
            .GroupBy(e => e.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);

        return new ExportStatistics(
            [.. perDay.OrderBy(d => d.Day).ThenBy(d => d.Status)],
            durations,
            [.. failures.OrderByDescending(f => f.Count).ThenBy(f => f.Reason, StringComparer.Ordinal)],
            open.ToDictionary(o => o.Status, o => o.Count),
            await monitor.SnapshotAsync(cancellationToken));
    }

    /// <summary>The quantile by linear interpolation between the two nearest ranks, reading only those two values.</summary>
    private static async Task<double> PercentileAsync(IQueryable<double> sorted, int count, double q, CancellationToken cancellationToken)
    {
        var position = q * (count - 1);
        var lower = (int)Math.Floor(position);
        var pair = await sorted.Skip(lower).Take(2).ToListAsync(cancellationToken);
        return pair.Count switch
        {
            0 => 0,
            1 => pair[0],
            _ => pair[0] + ((pair[1] - pair[0]) * (position - lower)),
        };
    }
}
