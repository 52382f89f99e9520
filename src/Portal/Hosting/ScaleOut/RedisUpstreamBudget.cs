using Microsoft.Extensions.Options;
using Portal.Tracking;
using Portal.Upstream;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The one budget of upstream calls of every instance: a sliding window in a sorted set (one member per call, scored
/// by its time). A call adds itself and then counts the window in one transaction, and takes itself back when it
/// finds more than the limit: two instances racing for the last place may both give it up, never both take it.
/// Times are the callers' clocks (instances keep their clocks in sync, as they must for the leases anyway).
/// When Redis cannot be reached no call is sent: the budget reads as used up for a few seconds.
/// </summary>
public sealed partial class RedisUpstreamBudget(
    RedisConnection redis,
    IOptions<RedisOptions> redisOptions,
    IOptions<TrackerOptions> trackerOptions,
    ILogger<RedisUpstreamBudget> logger) : IUpstreamBudget
{
    /// <summary>How long the budget reads as used up after Redis failed to answer.</summary>
    public static readonly TimeSpan RetryWhenUnreachable = TimeSpan.FromSeconds(5);

    private readonly RedisKey key = redisOptions.Value.Key("upstream:budget");

    public int Limit => trackerOptions.Value.PollBudgetPerMinute;

    public bool TryTake(DateTimeOffset now)
    {
        var at = now.ToUnixTimeMilliseconds();
        RedisValue member = $"{at}:{Guid.NewGuid():N}";
        try
        {
            var transaction = redis.Database.CreateTransaction();
            _ = transaction.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, WindowStart(now), Exclude.None);
            _ = transaction.SortedSetAddAsync(key, member, at);
            var counted = transaction.SortedSetLengthAsync(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            // A clean-up only: the window is what the scores say.
            _ = transaction.KeyExpireAsync(key, PollBudget.Window + PollBudget.Window);
            transaction.Execute();
            if (counted.Result <= Limit)
            {
                return true;
            }
            redis.Database.SortedSetRemove(key, member);
            return false;
        }
        catch (RedisException ex)
        {
            LogUnreachable(logger, ex);
            return false;
        }
    }

    public int Available(DateTimeOffset now) => (int)Math.Max(0, Limit - Count(now, whenUnreachable: Limit));

    public int UsedInLastMinute(DateTimeOffset now) => (int)Math.Min(int.MaxValue, Count(now, whenUnreachable: Limit));

    public DateTimeOffset NextFreeAt(DateTimeOffset now)
    {
        try
        {
            var used = redis.Database.SortedSetLength(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            if (used < Limit)
            {
                return now;
            }
            var oldest = redis.Database.SortedSetRangeByScoreWithScores(key, WindowStart(now), double.PositiveInfinity, Exclude.Start,
                skip: used - Limit, take: 1);
            return oldest.Length == 0 ? now : DateTimeOffset.FromUnixTimeMilliseconds((long)oldest[0].Score) + PollBudget.Window;
        }
        catch (RedisException ex)
        {
            LogUnreachable(logger, ex);
            return now + RetryWhenUnreachable;
        }
    }

    private long Count(DateTimeOffset now, int whenUnreachable)
    {
        try
        {
            return redis.Database.SortedSetLength(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
        }
        catch (RedisException ex)
        {
            LogUnreachable(logger, ex);
            return whenUnreachable;
        }
    }

    // A call at exactly a minute ago has left the window, as in PollBudget.
    private static double WindowStart(DateTimeOffset now) => (now - PollBudget.Window).ToUnixTimeMilliseconds();

    [LoggerMessage(LogLevel.Warning, "The shared upstream budget in Redis cannot be read; no upstream call is sent until it can")]
    private static partial void LogUnreachable(ILogger logger, Exception ex);
}
