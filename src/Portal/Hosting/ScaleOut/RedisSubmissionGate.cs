using Medallion.Threading.Redis;
using Microsoft.Extensions.Options;
using Portal.Exports;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// One submission at a time per user across every instance (a lock in Redis, DistributedLock.Redis): the per-minute
/// limit and the duplicate check read the rows inside it. The lock is kept alive while held and lapses on its own if
/// its instance dies. While Redis cannot be reached the submission is not refused: it passes this instance's own gate
/// instead, and the limit and the duplicate check still read the rows (only two submissions of one user landing on
/// two instances in the same instant could both pass), the request is saved as <c>Queued</c>, and the tracker posts
/// it once Redis answers again and the budget has room.
/// </summary>
public sealed partial class RedisSubmissionGate(RedisConnection redis, IOptions<RedisOptions> options, ILogger<RedisSubmissionGate> logger) : ISubmissionGate
{
    /// <summary>Far longer than a submission takes; past it the user is told to try again.</summary>
    public static readonly TimeSpan WaitAtMost = TimeSpan.FromSeconds(30);

    private readonly SubmissionGate local = new();
    private readonly OutageLogGate outage = new();

    public async Task<IAsyncDisposable> EnterAsync(string userId, CancellationToken cancellationToken)
    {
        IAsyncDisposable? handle;
        try
        {
            if (!redis.Multiplexer.IsConnected)
            {
                // Known to be down: not even a first try that would wait for its timeout.
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");
            }
            var gate = new RedisDistributedLock(options.Value.Key($"submissions:{userId}"), redis.Database);
            handle = await gate.TryAcquireAsync(WaitAtMost, cancellationToken);
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            if (outage.Failed())
            {
                LogFallback(logger, ex);
            }
            return await local.EnterAsync(userId, cancellationToken);
        }
        if (outage.Succeeded())
        {
            LogShared(logger);
        }
        return handle is null
            ? throw new TimeoutException($"Another submission of the same user held the lock for more than {WaitAtMost.TotalSeconds:0} s; try again.")
            : new Release(handle);
    }

    /// <summary>Releasing needs Redis too; if it went away meanwhile the lock lapses by itself.</summary>
    private sealed class Release(IAsyncDisposable handle) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await handle.DisposeAsync();
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis cannot be reached: submissions pass this instance's own gate and are saved to be posted once Redis answers (said once per outage)")]
    private static partial void LogFallback(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Information, "Redis answers again: submissions pass the shared gate")]
    private static partial void LogShared(ILogger logger);
}
