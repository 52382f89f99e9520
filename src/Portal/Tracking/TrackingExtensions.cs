using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

public static class TrackingExtensions
{
    /// <summary>The tracker that follows open requests upstream (section <c>Tracking</c>).</summary>
    public static IHostApplicationBuilder AddExportTracking(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TrackerOptions>().BindConfiguration(TrackerOptions.SectionName).ValidateDataAnnotations()
            .Validate<IOptions<UpstreamOptions>>(
                (tracker, upstream) => tracker.LeaseDuration > upstream.Value.Timeout,
                $"{TrackerOptions.SectionName}:{nameof(TrackerOptions.LeaseDuration)} must be longer than {UpstreamOptions.SectionName}:{nameof(UpstreamOptions.Timeout)}: a lease must outlive the longest upstream call with its retries.")
            .ValidateOnStart();
        // The budget of every upstream attempt; its size is the tracker's setting, the upstream client's gate takes from it.
        services.AddSingleton<IUpstreamBudget, PollBudget>();
        services.AddSingleton<PreparationEstimator>();
        services.AddSingleton<UpstreamAnswers>();
        services.AddSingleton<ReadyEstimates>();
        services.AddSingleton<ISlowRequests>(sp => sp.GetRequiredService<ReadyEstimates>());
        services.AddSingleton<IFileSizeEstimates, FileSizeEstimates>();
        services.AddSingleton<TrackerHeartbeat>();
        // A tracker's pass and claims are its own (its instance id tells its leases apart); the rest is shared.
        services.AddTransient<TrackerClaims>();
        services.AddTransient<TrackerPass>();
        services.AddSingleton<RequestTracker>();
        services.AddSingleton<RetentionExpiry>();
        services.AddSingleton<ExportTracker>();
        services.AddHostedService<BackgroundService>(sp => sp.GetRequiredService<IOptions<TrackerOptions>>().Value.Enabled
            ? sp.GetRequiredService<ExportTracker>()
            : new DisabledTracker());
        return builder;
    }

    private sealed class DisabledTracker : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}

internal sealed class TrackerHealthCheck(TrackerHeartbeat heartbeat, TimeProvider time, IOptions<TrackerOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (!o.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Tracking is disabled on this instance."));
        }
        var last = heartbeat.LastBeat;
        var result = last is { } beat && time.GetUtcNow() - beat <= o.HeartbeatTimeout + o.IdleInterval
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy(last is null ? "The tracker has not started." : $"The tracker's last pass started at {last:O}.");
        return Task.FromResult(result);
    }
}
