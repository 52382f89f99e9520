using Microsoft.Extensions.Options;
using Portal.Upstream;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The one pause of every instance: a sorted set of reasons scored by the time they end, so the longest pause wins
/// without a script (a reason is only ever moved later). When Redis cannot be reached every call is held back for a
/// few seconds, and that reason is what the admins see.
/// </summary>
public sealed partial class RedisUpstreamPause(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    ILogger<RedisUpstreamPause> logger) : IUpstreamPause
{
    public const string Unreachable = "the shared store (Redis) cannot be reached";

    private readonly RedisKey key = options.Value.Key("upstream:pause");

    public async ValueTask<UpstreamPauseState?> CurrentAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            var latest = await redis.Database.SortedSetRangeByScoreWithScoresAsync(key, now.ToUnixTimeMilliseconds(), double.PositiveInfinity,
                Exclude.Start, Order.Descending, take: 1);
            return latest.Length == 0
                ? null
                : new UpstreamPauseState(DateTimeOffset.FromUnixTimeMilliseconds((long)latest[0].Score), latest[0].Element.ToString());
        }
        catch (RedisException ex)
        {
            LogUnreachable(logger, ex);
            return new UpstreamPauseState(now + RedisUpstreamBudget.RetryWhenUnreachable, Unreachable);
        }
    }

    public async ValueTask PauseUntilAsync(DateTimeOffset until, string reason)
    {
        try
        {
            var transaction = redis.Database.CreateTransaction();
            _ = transaction.SortedSetAddAsync(key, reason, until.ToUnixTimeMilliseconds(), SortedSetWhen.GreaterThan);
            // Ended pauses are history: drop those that ended an hour before this one.
            _ = transaction.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, (until - TimeSpan.FromHours(1)).ToUnixTimeMilliseconds());
            _ = transaction.KeyExpireAsync(key, TimeSpan.FromDays(1));
            await transaction.ExecuteAsync();
        }
        catch (RedisException ex)
        {
            // Every instance holds its calls back anyway while Redis is unreachable (see Current).
            LogUnreachable(logger, ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "The shared upstream pause in Redis cannot be read or written; upstream calls wait until it can")]
    private static partial void LogUnreachable(ILogger logger, Exception ex);
}
