using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;

namespace Portal.Tracking;

/// <summary>
/// Where an open request stands against similar ones: <see cref="Usual"/> is null while no similar request has
/// completed (no estimate yet, never a guess).
/// </summary>
public sealed record ReadyEstimate(TimeSpan Elapsed, PreparationPercentiles? Usual)
{
    /// <summary>Open longer than 95 % of similar requests took.</summary>
    public bool IsSlow => Usual is { } usual && Elapsed > usual.P95;

    /// <summary>Elapsed time against the 95th percentile, 0 to 1; null without an estimate.</summary>
    public double? Progress => Usual is { } usual
        ? usual.P95 <= TimeSpan.Zero ? 1 : Math.Clamp(Elapsed / usual.P95, 0, 1)
        : null;
}

/// <summary>
/// "Ready in about": the learned preparation times (<see cref="PreparationEstimator"/>, the same the tracker polls by)
/// applied to open requests. Time counts from the request, as the user experiences it; the upstream usually accepts
/// it within a second, and a request the upstream could not take yet is already late for whoever waits.
/// </summary>
public sealed class ReadyEstimates(PreparationEstimator estimator, TimeProvider time) : ISlowRequests
{
    private static readonly ExportStatus[] Open = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];

    /// <summary>Percentiles of similar completed requests; null while there are not enough of them.</summary>
    public PreparationPercentiles? Usual(FileFormat format, TimeRange range) => estimator.Similar(format, range.Minutes);

    public ReadyEstimate For(ExportSummary export)
    {
        ArgumentNullException.ThrowIfNull(export);
        var elapsed = time.GetUtcNow() - export.CreatedAt;
        return new ReadyEstimate(elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed, Usual(export.Format, export.Range));
    }

    /// <summary>
    /// Narrows <paramref name="requests"/> to the open ones past the 95th percentile of similar requests. The
    /// thresholds live in memory, so the open rows (few, however long the history) are read once and the query
    /// keeps its count, sort and paging on the matching ids.
    /// </summary>
    public async Task<IQueryable<ExportRequest>> OnlySlowAsync(IQueryable<ExportRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var now = time.GetUtcNow();
        var open = await requests
            .Where(e => Open.Contains(e.Status))
            .Select(e => new { e.Id, e.Format, e.RangeFrom, e.RangeTo, e.CreatedAt })
            .ToListAsync(cancellationToken);
        var thresholds = new Dictionary<(FileFormat, long), TimeSpan?>();
        var slow = new List<Guid>();
        foreach (var request in open)
        {
            var minutes = new TimeRange(request.RangeFrom, request.RangeTo).Minutes;
            if (!thresholds.TryGetValue((request.Format, minutes), out var p95))
            {
                p95 = estimator.Similar(request.Format, minutes)?.P95;
                thresholds[(request.Format, minutes)] = p95;
            }
            if (p95 is { } limit && now - request.CreatedAt > limit)
            {
                slow.Add(request.Id);
            }
        }
        return requests.Where(e => slow.Contains(e.Id));
    }
}
