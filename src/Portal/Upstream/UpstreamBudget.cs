namespace Portal.Upstream;

/// <summary>
/// The per-minute budget of upstream calls (the vendor's quota is per client id). Every attempt takes from it
/// before it is sent (<see cref="UpstreamBudgetHandler"/>): polls, submits, retries, token requests and the
/// calls that refresh download links. A shared implementation can replace the in-memory one for several instances.
/// </summary>
public interface IUpstreamBudget
{
    int Limit { get; }

    /// <summary>Takes one call from the budget; false when the last minute already holds <see cref="Limit"/> calls.</summary>
    bool TryTake(DateTimeOffset now);

    int Available(DateTimeOffset now);

    int UsedInLastMinute(DateTimeOffset now);

    /// <summary>When the next call fits the budget.</summary>
    DateTimeOffset NextFreeAt(DateTimeOffset now);
}

/// <summary>
/// A pause of every upstream call: set by a 429 (until its <c>Retry-After</c>) or by the circuit breaker opening
/// (for its break duration). A shared implementation can replace the in-memory one for several instances.
/// </summary>
public interface IUpstreamPause
{
    /// <summary>The pause in force at <paramref name="now"/>, or null.</summary>
    UpstreamPauseState? Current(DateTimeOffset now);

    /// <summary>Pauses every call until <paramref name="until"/>; a pause that already lasts longer is kept.</summary>
    void PauseUntil(DateTimeOffset until, string reason);
}

public sealed record UpstreamPauseState(DateTimeOffset Until, string Reason);

/// <summary>The pause of this process.</summary>
public sealed class InMemoryUpstreamPause : IUpstreamPause
{
    private readonly Lock gate = new();
    private UpstreamPauseState? state;

    public UpstreamPauseState? Current(DateTimeOffset now)
    {
        lock (gate)
        {
            return state is { } paused && now < paused.Until ? paused : null;
        }
    }

    public void PauseUntil(DateTimeOffset until, string reason)
    {
        lock (gate)
        {
            if (state is null || until > state.Until)
            {
                state = new UpstreamPauseState(until, reason);
            }
        }
    }
}

/// <summary>
/// An upstream call the portal did not send, because the budget had no room or the upstream is paused. Nothing
/// reached the upstream: it is safe to try again from <see cref="RetryAt"/>, a POST included.
/// </summary>
public sealed class UpstreamCallNotSentException(string reason, DateTimeOffset retryAt)
    : Exception($"The upstream call was not sent: {reason}")
{
    public string Reason { get; } = reason;

    public DateTimeOffset RetryAt { get; } = retryAt;
}
