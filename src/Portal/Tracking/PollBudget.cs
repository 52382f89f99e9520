using Microsoft.Extensions.Options;

namespace Portal.Tracking;

/// <summary>
/// The process-wide budget of upstream calls per minute (a sliding window): the tracker takes from it before
/// every call, user-driven calls are recorded so the tracker leaves room for them.
/// </summary>
public sealed class PollBudget(IOptions<TrackerOptions> options)
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

    /// <summary>A call that happens regardless of the budget (a user's submit or download).</summary>
    public void Record(DateTimeOffset now)
    {
        lock (gate)
        {
            Trim(now);
            calls.Enqueue(now);
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

    /// <summary>When the next call fits the budget.</summary>
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
