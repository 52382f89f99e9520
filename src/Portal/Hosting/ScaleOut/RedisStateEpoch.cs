using Microsoft.Extensions.Options;
using Portal.Tracking;
using Portal.Upstream;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// Notices that Redis lost what it held (a restart without persistence, a replaced node, a flush): a marker key
/// holds the id of the current epoch, and each instance remembers the one it saw. When the marker is gone or
/// another id, the counts of the shared budget in the minute before are gone too, and a full budget would be
/// handed out again. So the instance that notices first starts a new epoch and counts the whole budget as used
/// at that moment (placeholders in the budget's window): no upstream call is sent until a window has passed since
/// the loss was noticed, so the calls made before it and after it together never exceed the budget. An instance
/// that first meets the marker (a new process) takes it as it is, or starts the first epoch without placeholders.
/// </summary>
public sealed partial class RedisStateEpoch(
    RedisConnection redis,
    IOptions<RedisOptions> redisOptions,
    IOptions<TrackerOptions> trackerOptions,
    ILogger<RedisStateEpoch> logger)
{
    private readonly RedisKey key = redisOptions.Value.Key("state-epoch");
    private readonly RedisKey budgetKey = RedisUpstreamBudget.KeyOf(redisOptions.Value);
    private readonly Lock gate = new();
    private RedisValue known = RedisValue.Null;

    public RedisKey Key => key;

    /// <summary>The epoch this instance works in, after starting or adopting a new one if Redis lost its data; throws what Redis throws.</summary>
    public async Task<RedisValue> EnsureAsync(DateTimeOffset now)
    {
        var current = await redis.Database.StringGetAsync(key);
        RedisValue remembered;
        lock (gate)
        {
            remembered = known;
        }
        if (current.HasValue && current == remembered)
        {
            return current;
        }
        return await RenewAsync(current, remembered, now);
    }

    private async Task<RedisValue> RenewAsync(RedisValue current, RedisValue remembered, DateTimeOffset now)
    {
        var lost = !remembered.IsNull;
        if (current.IsNull)
        {
            RedisValue epoch = Guid.NewGuid().ToString("N");
            var transaction = redis.Database.CreateTransaction();
            transaction.AddCondition(Condition.KeyNotExists(key));
            _ = transaction.StringSetAsync(key, epoch);
            if (lost)
            {
                _ = FillAsync(transaction, budgetKey, trackerOptions.Value.PollBudgetPerMinute, epoch, now);
            }
            if (await transaction.ExecuteAsync())
            {
                Adopt(epoch);
                if (lost)
                {
                    LogLost(logger, now + UpstreamBudgetUse.Window);
                }
                return epoch;
            }
            // Another instance started the new epoch first.
            current = await redis.Database.StringGetAsync(key);
            if (current.IsNull)
            {
                throw new RedisException("The epoch marker of the shared state vanished again at once.");
            }
        }
        if (lost)
        {
            // Redis lost its data and another instance, perhaps one that had not seen the old epoch, started the new
            // one: the same placeholders again (their names make it idempotent).
            var transaction = redis.Database.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(key, current));
            _ = FillAsync(transaction, budgetKey, trackerOptions.Value.PollBudgetPerMinute, current, now);
            await transaction.ExecuteAsync();
            LogLost(logger, now + UpstreamBudgetUse.Window);
        }
        Adopt(current);
        return current;
    }

    private static Task<bool> FillAsync(ITransaction transaction, RedisKey budgetKey, int limit, RedisValue epoch, DateTimeOffset now)
    {
        var at = now.ToUnixTimeMilliseconds();
        var placeholders = Enumerable.Range(0, limit)
            .Select(i => new SortedSetEntry($"lost:{epoch}:{i}", at))
            .ToArray();
        _ = transaction.SortedSetAddAsync(budgetKey, placeholders, SortedSetWhen.NotExists);
        return transaction.KeyExpireAsync(budgetKey, UpstreamBudgetUse.Window + UpstreamBudgetUse.Window);
    }

    private void Adopt(RedisValue epoch)
    {
        lock (gate)
        {
            known = epoch;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis lost the shared state (restarted or flushed): the upstream budget counts as used up until {Until:O}, so the calls made before the loss and after it stay within the budget")]
    private static partial void LogLost(ILogger logger, DateTimeOffset until);
}
