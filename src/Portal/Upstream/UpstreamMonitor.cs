using Portal.Exports;

namespace Portal.Upstream;

/// <summary>How the upstream has been answering lately: the admin dashboard's health panel and <c>/health</c>.</summary>
public sealed class UpstreamMonitor(TimeProvider time, IUpstreamBudget budget, IUpstreamPause pause)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly Lock gate = new();
    private readonly Queue<(DateTimeOffset At, bool Ok)> recent = new();
    private string? lastError;
    private DateTimeOffset? lastErrorAt;

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public void RecordSuccess() => Record(ok: true, error: null);

    public void RecordError(string error) => Record(ok: false, error);

    public UpstreamHealth Snapshot()
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            Trim(now);
            var total = recent.Count;
            var errors = recent.Count(r => !r.Ok);
            var paused = pause.Current(now);
            return new UpstreamHealth(
                lastError,
                lastErrorAt,
                total == 0 ? 0 : (double)errors / total,
                budget.UsedInLastMinute(now),
                budget.Limit,
                paused?.Until,
                paused?.Reason);
        }
    }

    private void Record(bool ok, string? error)
    {
        var now = time.GetUtcNow();
        lock (gate)
        {
            recent.Enqueue((now, ok));
            Trim(now);
            if (ok)
            {
                LastSuccessAt = now;
            }
            else
            {
                lastError = error;
                lastErrorAt = now;
            }
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (recent.Count > 0 && (now - recent.Peek().At > Window || recent.Count > 10_000))
        {
            recent.Dequeue();
        }
    }
}
