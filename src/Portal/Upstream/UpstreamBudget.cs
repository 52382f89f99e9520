namespace Portal.Upstream;

/// <summary>
/// The per-minute budget of upstream calls (the vendor's quota is per client id). Every attempt takes from it
/// before it is sent (<see cref="UpstreamBudgetHandler"/>): polls, submits, retries, token requests and the
/// calls that refresh download links. The in-memory one serves one instance; with Redis all instances share one.
/// Both ask nothing of a thread while they wait: a shared one answers over the network.
/// </summary>
public interface IUpstreamBudget
{
    int Limit { get; }

    /// <summary>Takes one call from the budget; false when the last minute already holds <see cref="Limit"/> calls.</summary>
    ValueTask<bool> TryTakeAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes one call that a user started (a preview's ranged read, a zip's part, a file's size, a fresh download
    /// link) from the budget's shared part: false when the last minute already holds <see cref="UserLimit"/> such calls
    /// or <see cref="Limit"/> calls in all. The rest, <c>Upstream:ReservedForTrackerShare</c>, is kept for the tracker's
    /// polls and POSTs.
    /// </summary>
    ValueTask<bool> TryTakeForUserAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Calls users may start in one minute: the budget less the tracker's reserved share.</summary>
    int UserLimit { get; }

    /// <summary>How much of the budget the last minute used, and the tracker's own calls in the last <see cref="UpstreamBudgetUse.PaceWindow"/>.</summary>
    ValueTask<UpstreamBudgetUse> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken = default);
}

/// <summary>
/// Marks the upstream calls made inside it as started by a user (a fresh download link), so that
/// <see cref="UpstreamBudgetHandler"/> takes them from the users' part of the budget, never the tracker's reserve.
/// </summary>
public static class UpstreamCallScope
{
    private static readonly AsyncLocal<bool> userStarted = new();

    public static bool IsUserStarted => userStarted.Value;

    /// <summary>Until disposed, upstream calls of this flow are the user's.</summary>
    public static IDisposable ForUser()
    {
        var before = userStarted.Value;
        userStarted.Value = true;
        return new Restore(before);
    }

    /// <summary>The users' part of a budget of <paramref name="limit"/> calls with <paramref name="reservedShare"/> kept for the tracker.</summary>
    public static int UserLimit(int limit, double reservedShare) => Math.Max(0, (int)Math.Floor(limit * (1 - reservedShare)));

    private sealed class Restore(bool before) : IDisposable
    {
        public void Dispose() => userStarted.Value = before;
    }
}

/// <summary>The budget at one moment, and what a steady spender (the tracker) may take of it now.</summary>
/// <param name="UsedLately">The tracker's calls (not users') in the last <see cref="PaceWindow"/>: users' calls have a part of their own and do not slow its pace.</param>
/// <param name="NextFreeAt">When the next call fits the minute: now unless the minute is full.</param>
public sealed record UpstreamBudgetUse(int Limit, int UsedInLastMinute, int UsedLately, DateTimeOffset NextFreeAt)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The span over which the tracker spreads its calls evenly.</summary>
    public static readonly TimeSpan PaceWindow = TimeSpan.FromSeconds(5);

    public int Available => Math.Max(0, Limit - UsedInLastMinute);

    /// <summary>The budget's share of one <see cref="PaceWindow"/>.</summary>
    public int PaceLimit => (int)Math.Ceiling(Limit * (PaceWindow / Window));

    /// <summary>
    /// Calls the tracker may make now: what the minute leaves, and no more than the pace's share, so the budget is
    /// spent evenly rather than at the start of each minute, and a new export's POST or a user's download link
    /// finds room within seconds.
    /// </summary>
    public int PacedRoom => Math.Max(0, Math.Min(Available, PaceLimit - UsedLately));

    /// <summary>When to look again for paced room: the next free place in the minute, or one even step.</summary>
    public DateTimeOffset NextPacedAt(DateTimeOffset now) => Available == 0 ? NextFreeAt : now + (PaceWindow / PaceLimit);
}

/// <summary>
/// A pause of every upstream call: set by a 429 (until its <c>Retry-After</c>) or by the circuit breaker opening
/// (for its break duration). The in-memory one serves one instance; with Redis all instances share one.
/// </summary>
public interface IUpstreamPause
{
    /// <summary>The pause in force at <paramref name="now"/>, or null.</summary>
    ValueTask<UpstreamPauseState?> CurrentAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Pauses every call until <paramref name="until"/>; a pause that already lasts longer is kept.</summary>
    ValueTask PauseUntilAsync(DateTimeOffset until, string reason);
}

public sealed record UpstreamPauseState(DateTimeOffset Until, string Reason);

/// <summary>The pause of this process.</summary>
public sealed class InMemoryUpstreamPause : IUpstreamPause
{
    private readonly Lock gate = new();
    private UpstreamPauseState? state;

    public ValueTask<UpstreamPauseState?> CurrentAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (gate)
        {
            return ValueTask.FromResult<UpstreamPauseState?>(state is { } paused && now < paused.Until ? paused : null);
        }
    }

    public ValueTask PauseUntilAsync(DateTimeOffset until, string reason)
    {
        lock (gate)
        {
            if (state is null || until > state.Until)
            {
                state = new UpstreamPauseState(until, reason);
            }
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// An upstream call the portal did not send, because the budget had no room or the upstream is paused. Nothing
/// reached the upstream: it is safe to try again from <see cref="RetryAt"/>, a POST included.
/// </summary>
public sealed class UpstreamCallNotSentException(string reason, DateTimeOffset retryAt)
    : Exception($"The call to the device platform was not sent: {reason}")
{
    public string Reason { get; } = reason;

    public DateTimeOffset RetryAt { get; } = retryAt;
}
