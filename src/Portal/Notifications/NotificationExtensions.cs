using Microsoft.AspNetCore.SignalR;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

public static class NotificationExtensions
{
    /// <summary>The outbox dispatcher and the feed open pages subscribe to (section <c>Notifications</c>).</summary>
    public static IHostApplicationBuilder AddExportNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ExportChangeFeed>();
        services.AddSingleton<IExportChangeFeed>(sp => sp.GetRequiredService<ExportChangeFeed>());
        services.AddSingleton<IExportChangeFanOut, InProcessFanOut>();
        services.AddSingleton<ExportChangeDispatcher>();
        services.AddSingleton<IExportOutbox>(sp => sp.GetRequiredService<ExportChangeDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<ExportChangeDispatcher>());
        services.AddSingleton<IDeliveryPlanner, TeamNoticePlanner>();
        return builder;
    }

    /// <summary>
    /// SignalR and the hub at <see cref="ExportsHub.Path"/>: its message limit (<c>Security:HubMaximumReceiveMessageSize</c>),
    /// connections named by the export owner's id, the relay that sends them the feed's changes, and the session
    /// filter with its revalidation. Several instances need no backplane: each sends to its own connections.
    /// </summary>
    public static IHostApplicationBuilder AddExportsHub(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var isDevelopment = builder.Environment.IsDevelopment();
        // Read now: AddHubOptions takes a plain delegate. ValidateOnStart checks the same values.
        var security = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();

        // The hub only receives subscriptions: a small limit is plenty.
        services.AddSignalR(hub =>
        {
            hub.MaximumReceiveMessageSize = security.HubMaximumReceiveMessageSize;
            hub.EnableDetailedErrors = isDevelopment;
        })
        // Circuits have their own revalidation (PortalAuthenticationStateProvider); the hub gets this one.
        .AddHubOptions<ExportsHub>(hub => hub.AddFilter<HubSessions>());
        services.AddSingleton<IUserIdProvider, PortalUserIdProvider>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService<HubSessionRevalidator>();
        services.AddHostedService<ExportsHubRelay>();
        return builder;
    }

    /// <summary>Refuses hub and circuit handshakes from pages of another origin (<see cref="HubOriginCheck"/>).</summary>
    public static IApplicationBuilder UseHubOriginCheck(this IApplicationBuilder app) => app.UseMiddleware<HubOriginCheck>();

    public static IEndpointRouteBuilder MapExportNotifications(this IEndpointRouteBuilder app)
    {
        app.MapHub<ExportsHub>(ExportsHub.Path);
        return app;
    }
}
