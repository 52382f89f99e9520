using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Portal.Upstream;

/// <summary>Reachable means a token can be had (cached most of the time); a pause or a high recent error rate degrades.</summary>
internal sealed class UpstreamHealthCheck(UpstreamTokenProvider tokens, UpstreamMonitor monitor) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await monitor.SnapshotAsync(cancellationToken) is { PausedUntil: { } until } paused)
        {
            return HealthCheckResult.Degraded($"Upstream calls are paused until {until:O} ({paused.PauseReason}).");
        }
        try
        {
            await tokens.GetTokenAsync(rejected: null, cancellationToken);
        }
        catch (Exception ex) when (DeviceStatusClient.IsTransient(ex, cancellationToken) || ex is InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("The upstream cannot be reached: " + ex.Message);
        }
        var health = await monitor.SnapshotAsync(cancellationToken);
        return health.RecentErrorRate > 0.5
            ? HealthCheckResult.Degraded($"{health.RecentErrorRate:P0} of recent upstream calls failed; last: {health.LastError}")
            : HealthCheckResult.Healthy();
    }
}
