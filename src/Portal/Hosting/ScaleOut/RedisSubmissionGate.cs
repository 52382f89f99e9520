using Medallion.Threading.Redis;
using Microsoft.Extensions.Options;
using Portal.Exports;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// One submission at a time per user across every instance (a lock in Redis, DistributedLock.Redis): the per-minute
/// limit and the duplicate check read the rows inside it. The lock is kept alive while held and lapses on its own if
/// its instance dies.
/// </summary>
public sealed class RedisSubmissionGate(RedisConnection redis, IOptions<RedisOptions> options) : ISubmissionGate
{
    /// <summary>Far longer than a submission takes; past it the user is told to try again.</summary>
    public static readonly TimeSpan WaitAtMost = TimeSpan.FromSeconds(30);

    public async Task<IAsyncDisposable> EnterAsync(string userId, CancellationToken cancellationToken)
    {
        var gate = new RedisDistributedLock(options.Value.Key($"submissions:{userId}"), redis.Database);
        return await gate.TryAcquireAsync(WaitAtMost, cancellationToken)
            ?? throw new TimeoutException($"Another submission of the same user held the lock for more than {WaitAtMost.TotalSeconds:0} s; try again.");
    }
}
