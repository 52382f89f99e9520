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
/// When Redis cannot be reached no call is sent: the budget reads as used up for a few seconds. Calls users start are
/// also added to a second set, counted in the same transaction, and may hold at most <see cref="UserLimit"/> places.
/// Each taking is conditional on the epoch of the shared state (<see cref="RedisStateEpoch"/>): after Redis lost its
/// data the window counts as used up for one window, so a restart never hands out a second full budget.
/// </summary>
public sealed partial class RedisUpstreamBudget(
    RedisConnection redis,
    IOptions<RedisOptions> redisOptions,
    IOptions<TrackerOptions> trackerOptions,
    IOptions<UpstreamOptions> upstreamOptions,
    RedisStateEpoch epochs,
    ILogger<RedisUpstreamBudget> logger) : IUpstreamBudget
{
    /// <summary>How long the budget reads as used up after Redis failed to answer.</summary>
    public static readonly TimeSpan RetryWhenUnreachable = TimeSpan.FromSeconds(5);

    private readonly RedisKey key = KeyOf(redisOptions.Value);
    private readonly OutageLogGate outage = new();
    private readonly RedisKey userKey = redisOptions.Value.Key("upstream:budget:users");

    public static RedisKey KeyOf(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Key("upstream:budget");
    }

    public int Limit => trackerOptions.Value.PollBudgetPerMinute;

    public int UserLimit => UpstreamCallScope.UserLimit(Limit, upstreamOptions.Value.ReservedForTrackerShare);

    public async ValueTask<bool> TryTakeForUserAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var at = now.ToUnixTimeMilliseconds();
        RedisValue member = $"{at}:{Guid.NewGuid():N}";
        try
        {
            var epoch = await epochs.EnsureAsync(now);
            var transaction = redis.Database.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(epochs.Key, epoch));
            foreach (var window in new[] { key, userKey })
            {
                _ = transaction.SortedSetRemoveRangeByScoreAsync(window, double.NegativeInfinity, WindowStart(now), Exclude.None);
                _ = transaction.SortedSetAddAsync(window, member, at);
                _ = transaction.KeyExpireAsync(window, UpstreamBudgetUse.Window + UpstreamBudgetUse.Window);
            }
            var counted = transaction.SortedSetLengthAsync(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            var countedForUsers = transaction.SortedSetLengthAsync(userKey, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            if (!await transaction.ExecuteAsync())
            {
                return await LostMeanwhileAsync(now);
            }
            Answered();
            if (await counted <= Limit && await countedForUsers <= UserLimit)
            {
                return true;
            }
            var giveBack = redis.Database.CreateTransaction();
            _ = giveBack.SortedSetRemoveAsync(key, member);
            _ = giveBack.SortedSetRemoveAsync(userKey, member);
            await giveBack.ExecuteAsync();
            return false;
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            if (outage.Failed())
            {
                LogUnreachable(logger, ex);
            }
            return false;
        }
    }

    public async ValueTask<bool> TryTakeAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var at = now.ToUnixTimeMilliseconds();
        RedisValue member = $"{at}:{Guid.NewGuid():N}";
        try
        {
            var epoch = await epochs.EnsureAsync(now);
            var transaction = redis.Database.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(epochs.Key, epoch));
            _ = transaction.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, WindowStart(now), Exclude.None);
            _ = transaction.SortedSetAddAsync(key, member, at);
            var counted = transaction.SortedSetLengthAsync(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            // A clean-up only: the window is what the scores say.
            _ = transaction.KeyExpireAsync(key, UpstreamBudgetUse.Window + UpstreamBudgetUse.Window);
            if (!await transaction.ExecuteAsync())
            {
                return await LostMeanwhileAsync(now);
            }
            Answered();
            if (await counted <= Limit)
            {
                return true;
            }
            await redis.Database.SortedSetRemoveAsync(key, member);
            return false;
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            if (outage.Failed())
            {
                LogUnreachable(logger, ex);
            }
            return false;
        }
    }

    public async ValueTask<UpstreamBudgetUse> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        try
        {
            await epochs.EnsureAsync(now);
            // Both counts go out together (the connection pipelines them).
            var minute = redis.Database.SortedSetLengthAsync(key, WindowStart(now), double.PositiveInfinity, Exclude.Start);
            var lately = redis.Database.SortedSetLengthAsync(key, (now - UpstreamBudgetUse.PaceWindow).ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);
            var usersLately = redis.Database.SortedSetLengthAsync(userKey, (now - UpstreamBudgetUse.PaceWindow).ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start);
            var used = await minute;
            // The tracker's pace counts its own calls: users' calls have their own part of the minute.
            var usedLately = Math.Max(0, await lately - await usersLately);
            var nextFreeAt = now;
            if (used >= Limit)
            {
                var oldest = await redis.Database.SortedSetRangeByScoreWithScoresAsync(key, WindowStart(now), double.PositiveInfinity, Exclude.Start,
                    skip: used - Limit, take: 1);
                nextFreeAt = oldest.Length == 0 ? now : DateTimeOffset.FromUnixTimeMilliseconds((long)oldest[0].Score) + UpstreamBudgetUse.Window;
            }
            return new UpstreamBudgetUse(Limit, (int)Math.Min(used, int.MaxValue), (int)Math.Min(usedLately, int.MaxValue), nextFreeAt);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            if (outage.Failed())
            {
                LogUnreachable(logger, ex);
            }
            return new UpstreamBudgetUse(Limit, Limit, Limit, now + RetryWhenUnreachable);
        }
    }

    private void Answered()
    {
        if (outage.Succeeded())
        {
            LogReachable(logger);
        }
    }

    /// <summary>The epoch changed between reading it and taking: Redis lost its data just now. Not taken; the new epoch starts full.</summary>
    private async Task<bool> LostMeanwhileAsync(DateTimeOffset now)
    {
        await epochs.EnsureAsync(now);
        return false;
    }

    // A call at exactly a minute ago has left the window, as in PollBudget.
    private static double WindowStart(DateTimeOffset now) => (now - UpstreamBudgetUse.Window).ToUnixTimeMilliseconds();

    [LoggerMessage(LogLevel.Warning, "The shared upstream budget in Redis cannot be read; no upstream call is sent until it can (said once per outage)")]
    private static partial void LogUnreachable(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Information, "The shared upstream budget in Redis answers again; upstream calls resume within the budget")]
    private static partial void LogReachable(ILogger logger);
}
