namespace Portal.Upstream;

/// <summary>
/// How the upstream has been answering lately. <see cref="PollsLastMinute"/> counts every attempt sent (polls,
/// submits, retries, token requests); <see cref="PausedUntil"/> is set while every upstream call is paused, with why;
/// <see cref="ConsecutiveFailures"/> counts failed calls since the last good answer; <see cref="LastRateLimitedAt"/>
/// is the last 429.
/// </summary>
public sealed record UpstreamHealth(
    string? LastError,
    DateTimeOffset? LastErrorAt,
    double RecentErrorRate,
    int PollsLastMinute,
    int PollBudgetPerMinute,
    DateTimeOffset? PausedUntil = null,
    string? PauseReason = null,
    int ConsecutiveFailures = 0,
    DateTimeOffset? LastSuccessAt = null,
    DateTimeOffset? LastRateLimitedAt = null);
