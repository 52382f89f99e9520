using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Portal.Security;
using RedisRateLimiting;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The counters of the per-user and per-token limits in Redis (RedisRateLimiting's fixed window), so that a user
/// spreading requests over several instances meets one limit. When Redis cannot be reached the limiter's call fails
/// and the request fails with it, as the shared budget and gate do.
/// </summary>
public sealed class RedisRateLimitPartitions(RedisConnection redis, IOptions<RedisOptions> options) : IRateLimitPartitions
{
    public RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window) =>
        RedisRateLimitPartition.GetFixedWindowRateLimiter(options.Value.Key("rate-limit:" + key), _ => new RedisFixedWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis.Multiplexer,
            PermitLimit = permitLimit,
            Window = window,
        });
}
