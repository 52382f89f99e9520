using Microsoft.Extensions.Options;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// This process's budget of upstream calls per minute (a sliding window of <c>Tracking:PollBudgetPerMinute</c>).
/// Every attempt takes from it as it is sent; the tracker claims only as many requests as fit.
/// </summary>
public sealed class PollBudget(IOptions<TrackerOptions> options) : IUpstreamBudget
{
    private readonly Lock gate = new();
    private readonly Queue<DateTimeOffset> calls = new();

    public int Limit => options.Value.PollBudgetPerMinute;

    public ValueTask<bool> TryTakeAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            Trim(now);
            if (calls.Count >= Limit)
            {
                return ValueTask.FromResult(false);
            }
            calls.Enqueue(now);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<UpstreamBudgetUse> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            Trim(now);
            var lately = now - UpstreamBudgetUse.PaceWindow;
            var usedLately = calls.Count(at => at > lately);
            var nextFreeAt = calls.Count < Limit ? now : calls.ElementAt(calls.Count - Limit) + UpstreamBudgetUse.Window;
            return ValueTask.FromResult(new UpstreamBudgetUse(Limit, calls.Count, usedLately, nextFreeAt));
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (calls.Count > 0 && calls.Peek() + UpstreamBudgetUse.Window <= now)
        {
            calls.Dequeue();
        }
    }
}
