using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// Degraded, not unhealthy, while Redis cannot be reached: the instance still serves pages, downloads and hub clients
/// from the database and accepts submissions, so a Redis outage must not take every instance out of the load
/// balancer at once. Healthy again as soon as Redis answers a ping (the connection reconnects by itself).
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    /// <summary>What an unreachable Redis means, for the admins who read the check.</summary>
    public const string Unreachable = "Redis cannot be reached";

    /// <summary>What the instance does meanwhile.</summary>
    public const string Meanwhile =
        ": pages keep working from the database and new exports are accepted, but no upstream call is sent " +
        "until it answers, and changes made on other instances reach open pages once it is back.";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.Database.PingAsync().WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            redis.Answered();
            return HealthCheckResult.Healthy($"Redis answered in {latency.TotalMilliseconds:0.0} ms.");
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            var since = redis.DownSince is { } down ? string.Create(CultureInfo.InvariantCulture, $" (since {down:yyyy-MM-dd HH:mm:ss} UTC)") : "";
            return HealthCheckResult.Degraded(Unreachable + since + Meanwhile, ex);
        }
    }
}
