using System.Net;

namespace Portal.Upstream;

/// <summary>How the upstream has been answering lately: the admin dashboard's health panel and <c>/health</c>.</summary>
public sealed class UpstreamMonitor(TimeProvider time, IUpstreamBudget budget, IUpstreamPause pause)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly Lock gate = new();
    private readonly Queue<(DateTimeOffset At, bool Ok)> recent = new();
    private string? lastError;
    private DateTimeOffset? lastErrorAt;
    private DateTimeOffset? lastRateLimitedAt;
    private int consecutiveFailures;

    /// <summary>Raised after every recorded call, outside the lock, on the caller's thread.</summary>
    public event Action? Recorded;

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public void RecordSuccess() => Record(ok: true, error: null, status: null);

    /// <param name="status">The upstream's answer, when there was one (a 429 means it is rate-limiting the portal).</param>
    public void RecordError(string error, HttpStatusCode? status = null) => Record(ok: false, error, status);

    /// <summary>What this instance saw, with the budget and the pause (shared by every instance when Redis is set).</summary>
    public async Task<UpstreamHealth> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var paused = await pause.CurrentAsync(now, cancellationToken);
        var used = (await budget.ReadAsync(now, cancellationToken)).UsedInLastMinute;
        lock (gate)
        {
            Trim(now);
            var total = recent.Count;
            var errors = recent.Count(r => !r.Ok);
            return new UpstreamHealth(
                lastError,
                lastErrorAt,
                total == 0 ? 0 : (double)errors / total,
                used,
                budget.Limit,
                paused?.Until,
                paused?.Reason,
                consecutiveFailures,
                LastSuccessAt,
                lastRateLimitedAt);
        }
    }

    private void Record(bool ok, string? error, HttpStatusCode? status)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            recent.Enqueue((now, ok));
            Trim(now);
            if (ok)
            {
                LastSuccessAt = now;
                consecutiveFailures = 0;
            }
            else
            {
                lastError = error;
                lastErrorAt = now;
                consecutiveFailures++;
                if (status == HttpStatusCode.TooManyRequests)
                {
                    lastRateLimitedAt = now;
                }
            }
        }
        Recorded?.Invoke();
    }

    private void Trim(DateTimeOffset now)
    {
        while (recent.Count > 0 && (now - recent.Peek().At > Window || recent.Count > 10_000))
        {
            recent.Dequeue();
        }
    }
}
