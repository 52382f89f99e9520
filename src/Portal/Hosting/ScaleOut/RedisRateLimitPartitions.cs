using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Portal.Security;
using RedisRateLimiting;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The counters of the per-user and per-token limits in Redis (RedisRateLimiting's fixed window), so that a user
/// spreading requests over several instances meets one limit. While Redis cannot be reached each instance counts on
/// its own (the same limit per instance, in process) instead of failing the request; the shared counters take over
/// again once Redis answers (they start from zero after a restart: at most one window's worth of extra requests).
/// </summary>
public sealed partial class RedisRateLimitPartitions(RedisConnection redis, IOptions<RedisOptions> options, ILogger<RedisRateLimitPartitions> logger) : IRateLimitPartitions
{
    private readonly OutageLogGate outage = new();

    public RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window) =>
        RateLimitPartition.Get(options.Value.Key("rate-limit:" + key), sharedKey => new SharedOrLocalLimiter(
            new RedisFixedWindowRateLimiter<string>(sharedKey, new RedisFixedWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis.Multiplexer,
                PermitLimit = permitLimit,
                Window = window,
            }),
            new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = permitLimit,
                Window = window,
                QueueLimit = 0,
                AutoReplenishment = true,
            }),
            this));

    private void Failed(Exception ex)
    {
        if (outage.Failed())
        {
            LogFallback(logger, ex);
        }
    }

    private void Answered()
    {
        if (outage.Succeeded())
        {
            LogShared(logger);
        }
    }

    /// <summary>The shared limiter while Redis answers, this instance's own while it does not.</summary>
    private sealed class SharedOrLocalLimiter(RateLimiter shared, RateLimiter local, RedisRateLimitPartitions owner) : RateLimiter
    {
        public override TimeSpan? IdleDuration => shared.IdleDuration;

        public override RateLimiterStatistics? GetStatistics() => local.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            try
            {
                var lease = shared.AttemptAcquire(permitCount);
                owner.Answered();
                return lease;
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                owner.Failed(ex);
                return local.AttemptAcquire(permitCount);
            }
        }

        protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            try
            {
                var lease = await shared.AcquireAsync(permitCount, cancellationToken);
                owner.Answered();
                return lease;
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                owner.Failed(ex);
                return await local.AcquireAsync(permitCount, cancellationToken);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                shared.Dispose();
                local.Dispose();
            }
            base.Dispose(disposing);
        }

        protected override async ValueTask DisposeAsyncCore()
        {
            await shared.DisposeAsync();
            await local.DisposeAsync();
            await base.DisposeAsyncCore();
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis cannot be reached: each instance counts the per-user and per-token rate limits on its own until it answers (said once per outage)")]
    private static partial void LogFallback(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Information, "Redis answers again: the rate limits are counted for every instance together")]
    private static partial void LogShared(ILogger logger);
}
