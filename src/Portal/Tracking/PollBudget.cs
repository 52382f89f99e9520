using Microsoft.Extensions.Options;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// This process's budget of upstream calls per minute (a sliding window of <c>Tracking:PollBudgetPerMinute</c>).
/// Every attempt takes from it as it is sent; the tracker claims only as many requests as fit. Calls users start
/// take at most <see cref="UserLimit"/> of each minute (<c>Upstream:ReservedForTrackerShare</c>).
/// </summary>
public sealed class PollBudget(IOptions<TrackerOptions> options, IOptions<UpstreamOptions>? upstreamOptions = null) : IUpstreamBudget
{
    private readonly Lock gate = new();
    private readonly Queue<DateTimeOffset> calls = new();
    private readonly Queue<DateTimeOffset> userCalls = new();

    public int Limit => options.Value.PollBudgetPerMinute;

    public int UserLimit => UpstreamCallScope.UserLimit(Limit, (upstreamOptions?.Value ?? new UpstreamOptions()).ReservedForTrackerShare);

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

    public ValueTask<bool> TryTakeForUserAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            Trim(now);
            if (calls.Count >= Limit || userCalls.Count >= UserLimit)
            {
                return ValueTask.FromResult(false);
            }
            calls.Enqueue(now);
            userCalls.Enqueue(now);
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<UpstreamBudgetUse> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            Trim(now);
            var lately = now - UpstreamBudgetUse.PaceWindow;
            var usedLately = calls.Count(at => at > lately) - userCalls.Count(at => at > lately);
            var nextFreeAt = calls.Count < Limit ? now : calls.ElementAt(calls.Count - Limit) + UpstreamBudgetUse.Window;
            return ValueTask.FromResult(new UpstreamBudgetUse(Limit, calls.Count, usedLately, nextFreeAt));
        }
    }

    private void Trim(DateTimeOffset now)
    {
        Trim(calls, now);
        Trim(userCalls, now);
    }

    private static void Trim(Queue<DateTimeOffset> window, DateTimeOffset now)
    {
        while (window.Count > 0 && window.Peek() + UpstreamBudgetUse.Window <= now)
        {
            window.Dequeue();
        }
    }
}
