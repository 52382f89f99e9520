using Microsoft.Extensions.Options;
using Portal.Upstream;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The one pause of every instance: a sorted set of reasons scored by the time they end, so the longest pause wins
/// without a script (a reason is only ever moved later). When Redis cannot be reached every call is held back for a
/// few seconds, and that reason is what the admins see. Each instance also remembers the longest pause it set or
/// read: when Redis lost it (a restart without persistence) the instance keeps to it and writes it back, so every
/// other instance, a new one included, learns it again on its next look.
/// </summary>
public sealed partial class RedisUpstreamPause(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    ILogger<RedisUpstreamPause> logger) : IUpstreamPause
{
    public const string Unreachable = "the shared store (Redis) cannot be reached";

    private readonly RedisKey key = options.Value.Key("upstream:pause");
    private readonly OutageLogGate outage = new();
    private readonly Lock gate = new();
    private UpstreamPauseState? remembered;

    public async ValueTask<UpstreamPauseState?> CurrentAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            var latest = await redis.Database.SortedSetRangeByScoreWithScoresAsync(key, now.ToUnixTimeMilliseconds(), double.PositiveInfinity,
                Exclude.Start, Order.Descending, take: 1);
            Answered();
            var shared = latest.Length == 0
                ? null
                : new UpstreamPauseState(DateTimeOffset.FromUnixTimeMilliseconds((long)latest[0].Score), latest[0].Element.ToString());
            var known = Remember(shared, now);
            if (known is not null && (shared is null || known.Until > shared.Until))
            {
                // Redis lost it: this instance still knows, and says so again for the others.
                LogReasserted(logger, known.Until, known.Reason);
                await WriteAsync(known.Until, known.Reason);
            }
            return known;
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            if (outage.Failed())
            {
                LogUnreachable(logger, ex);
            }
            var unreachable = new UpstreamPauseState(now + RedisUpstreamBudget.RetryWhenUnreachable, Unreachable);
            var known = Remember(null, now);
            return known is not null && known.Until > unreachable.Until ? known : unreachable;
        }
    }

    public async ValueTask PauseUntilAsync(DateTimeOffset until, string reason)
    {
        Remember(new UpstreamPauseState(until, reason), DateTimeOffset.MinValue);
        try
        {
            await WriteAsync(until, reason);
            Answered();
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // Every instance holds its calls back anyway while Redis is unreachable (see Current), and this one
            // writes the pause back once Redis answers.
            if (outage.Failed())
            {
                LogUnreachable(logger, ex);
            }
        }
    }

    private async Task WriteAsync(DateTimeOffset until, string reason)
    {
        var transaction = redis.Database.CreateTransaction();
        _ = transaction.SortedSetAddAsync(key, reason, until.ToUnixTimeMilliseconds(), SortedSetWhen.GreaterThan);
        // Ended pauses are history: drop those that ended an hour before this one.
        _ = transaction.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, (until - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds());
        _ = transaction.KeyExpireAsync(key, TimeSpan.FromDays(1));
        await transaction.ExecuteAsync();
    }

    /// <summary>Keeps the longer of the remembered pause and <paramref name="seen"/>; returns the one in force at <paramref name="now"/>, if any.</summary>
    private UpstreamPauseState? Remember(UpstreamPauseState? seen, DateTimeOffset now)
    {
        lock (gate)
        {
            if (seen is not null && (remembered is null || seen.Until > remembered.Until))
            {
                remembered = seen;
            }
            return remembered is { } known && now < known.Until ? known : null;
        }
    }

    private void Answered()
    {
        if (outage.Succeeded())
        {
            LogReachable(logger);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The shared upstream pause in Redis cannot be read or written; upstream calls wait until it can (said once per outage)")]
    private static partial void LogUnreachable(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Information, "The shared upstream pause in Redis answers again")]
    private static partial void LogReachable(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Redis no longer held the upstream pause until {Until:O} ({Reason}), as after a restart; it is written back")]
    private static partial void LogReasserted(ILogger logger, DateTimeOffset until, string reason);
}
