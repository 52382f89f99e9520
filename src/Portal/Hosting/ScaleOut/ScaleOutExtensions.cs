using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Notifications;
using Portal.Security;
using Portal.Upstream;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

public static class ScaleOutExtensions
{
    /// <summary>Every instance of one portal names itself this way, so each can read what another protected.</summary>
    public const string DataProtectionApplicationName = "DeviceStatusExportPortal";

    /// <summary>
    /// What Redis turns on, in one place. Without <c>ConnectionStrings:Redis</c> nothing changes: one instance, with
    /// its budget, pause, submission gate, tracker wake-up and fan-out in process. With it every instance shares
    /// them: the budget and the pause of upstream calls, the per-user submission gate (so the per-minute limit and
    /// the duplicate check hold across instances), the trackers' wake-up, the changes for open pages (which every
    /// instance hands to its own circuits and hub connections) and the rate-limit counters. The Data Protection key ring
    /// and the development sign-in's users are in the database, which every instance shares
    /// (<see cref="DataProtectionExtensions"/>): Redis keeps nothing that cannot be rebuilt. Outside Development a Redis
    /// with neither a password nor TLS stops the start unless
    /// <c>Redis:AllowInsecureConnection</c> is true. Call after the features it replaces are added.
    /// </summary>
    public static IHostApplicationBuilder AddPortalScaleOut(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var connectionString = builder.Configuration.GetConnectionString(RedisOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return builder;
        }

        var services = builder.Services;
        var development = builder.Environment.IsDevelopment();
        // Read here, before options exist: the connection, the backplane and the key ring are configured at registration.
        var settings = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        var configuration = RedisConnection.Parse(connectionString, settings);
        var secured = RedisConnection.IsSecured(configuration);
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => development || secured || o.AllowInsecureConnection, RedisOptions.InsecureProblem)
            .ValidateOnStart();
        var redis = new RedisConnection(configuration);
        services.AddSingleton(_ => redis);
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthExtensions.ReadyTag]);

        services.AddSingleton<RedisStateEpoch>();
        services.Replace(ServiceDescriptor.Singleton<IUpstreamBudget, RedisUpstreamBudget>());
        services.Replace(ServiceDescriptor.Singleton<IUpstreamPause, RedisUpstreamPause>());
        services.Replace(ServiceDescriptor.Singleton<ISubmissionGate, RedisSubmissionGate>());
        services.Replace(ServiceDescriptor.Singleton<IRateLimitPartitions, RedisRateLimitPartitions>());
        services.AddSingleton<ITrackerSignalRelay, RedisTrackerSignal.Relay>();
        services.AddHostedService<RedisTrackerSignal>();
        services.Replace(ServiceDescriptor.Singleton<IExportChangeFanOut, RedisFanOut>());
        services.AddHostedService<RedisChangeListener>();
        // Read only by the development sign-in (Development only): its users in the database, which every instance shares.
        services.AddSingleton<IDevelopmentUserDirectory, DatabaseDevelopmentUserDirectory>();

        // No SignalR backplane: circuits and hub connections are sticky, and every send goes to a connection of this
        // instance (ExportsHubRelay), so a backplane would only make each new circuit and hub connection subscribe in
        // Redis and fail to connect while Redis is down.
        // The key ring is in the database (AddPortalDataProtection); every instance names itself the same to read it.
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        return builder;
    }
}
