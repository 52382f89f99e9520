using Microsoft.Extensions.Options;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// One pass of the tracker: expire what the upstream no longer keeps, claim as many due requests as the upstream
/// budget allows now, track them in parallel, and say how long to wait for the next pass. One per tracker, since
/// its claims are the tracker's own.
/// </summary>
public sealed class TrackerPass(
    TrackerClaims claims,
    RequestTracker requests,
    RetentionExpiry retention,
    PreparationEstimator estimator,
    IUpstreamBudget budget,
    IUpstreamPause pause,
    TimeProvider time,
    IOptions<TrackerOptions> options)
{
    private DateTimeOffset nextExpiryLook = DateTimeOffset.MinValue;

    /// <inheritdoc cref="TrackerClaims.InstanceId"/>
    public string InstanceId => claims.InstanceId;

    /// <summary>Reads the preparation times of past requests once, before the first pass needs them.</summary>
    public async Task LoadEstimatesAsync(CancellationToken cancellationToken)
    {
        if (!estimator.IsLoaded)
        {
            await estimator.LoadAsync(cancellationToken);
        }
    }

    /// <summary>Claims what is due, polls it, and says how long to wait before the next pass.</summary>
    public async Task<TimeSpan> RunAsync(CancellationToken cancellationToken)
    {
        using var pass = PortalActivity.Source.StartActivity("tracker.pass");
        var o = options.Value;
        var now = time.GetUtcNow();
        // Results expire after a retention of hours: a look every idle interval is plenty, not one per pass.
        if (now >= nextExpiryLook)
        {
            await retention.ExpireAsync(now, cancellationToken);
            nextExpiryLook = now + o.IdleInterval;
        }
        if (await pause.CurrentAsync(now, cancellationToken) is { } paused)
        {
            // Every upstream call is refused until then: claiming rows now would only park them.
            return paused.Until - now;
        }
        // Each attempt takes from the budget as it is sent; claim only as many requests as fit now, at the budget's
        // even pace, and can be worked on at once, so a claimed row never waits for a free slot while its lease runs.
        var use = await budget.ReadAsync(now, cancellationToken);
        var room = Math.Min(Math.Min(o.BatchSize, o.MaxParallelCalls), use.PacedRoom);
        if (room == 0)
        {
            return Clamp(use.NextPacedAt(now) - now, o.IdleInterval);
        }

        var claimed = await claims.ClaimAsync(room, now, cancellationToken);
        if (claimed.Count > 0)
        {
            var quotaLeft = (double)use.Available / Math.Max(1, use.Limit);
            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = o.MaxParallelCalls, CancellationToken = cancellationToken },
                async (claim, ct) => await requests.TrackSafelyAsync(claims, claim, quotaLeft, ct));
        }

        if (claimed.Count == room)
        {
            return TimeSpan.Zero;
        }

        var next = await claims.NextDueAsync(cancellationToken);
        return next is null ? o.IdleInterval : Clamp(next.Value - time.GetUtcNow(), o.IdleInterval);
    }

    /// <inheritdoc cref="TrackerClaims.ReleaseAllAsync"/>
    public Task ReleaseLeasesAsync() => claims.ReleaseAllAsync();

    private static TimeSpan Clamp(TimeSpan wait, TimeSpan max) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > max ? max : wait;
}
