using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Hosting.ScaleOut;

/// <summary>Ready only while Redis answers: without it this instance sends no upstream call and misses other instances' changes.</summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.Database.PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis cannot be reached: upstream calls are held back and changes of other instances are not heard.", ex);
        }
    }
}
