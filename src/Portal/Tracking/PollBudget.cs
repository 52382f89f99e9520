using Microsoft.Extensions.Options;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// This process's budget of upstream calls per minute (a sliding window of <c>Tracking:PollBudgetPerMinute</c>).
/// Every attempt takes from it as it is sent; the tracker claims only as many requests as fit.
/// </summary>
public sealed class PollBudget(IOptions<TrackerOptions> options) : IUpstreamBudget
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock gate = new();
    private readonly Queue<DateTimeOffset> calls = new();

    public int Limit => options.Value.PollBudgetPerMinute;

    public bool TryTake(DateTimeOffset now)
    {
        lock (gate)
        {
            Trim(now);
            if (calls.Count >= Limit)
            {
                return false;
            }
            calls.Enqueue(now);
            return true;
        }
    }

    public int Available(DateTimeOffset now)
    {
        lock (gate)
        {
            Trim(now);
            return Math.Max(0, Limit - calls.Count);
        }
    }

    public int UsedInLastMinute(DateTimeOffset now)
    {
        lock (gate)
        {
            Trim(now);
            return calls.Count;
        }
    }

    public DateTimeOffset NextFreeAt(DateTimeOffset now)
    {
        lock (gate)
        {
            Trim(now);
            if (calls.Count < Limit)
            {
                return now;
            }
            return calls.ElementAt(calls.Count - Limit) + Window;
        }
    }

    private void Trim(DateTimeOffset now)
    {
        while (calls.Count > 0 && calls.Peek() + Window <= now)
        {
            calls.Dequeue();
        }
    }
}
