using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

public static class NotificationExtensions
{
    /// <summary>The outbox dispatcher, the feed open pages subscribe to and the hub (section <c>Notifications</c>).</summary>
    public static IHostApplicationBuilder AddExportNotifications(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // SignalR itself (limits, the hub's session filter) is set up with the portal's security.
        services.AddSignalR();
        services.AddSingleton<ExportChangeFeed>();
        services.AddSingleton<IExportChangeFeed>(sp => sp.GetRequiredService<ExportChangeFeed>());
        services.AddSingleton<IExportChangeFanOut, InProcessFanOut>();
        services.AddSingleton<HubSessions>();
        services.AddHostedService<ExportsHubRelay>();
        services.AddSingleton<ExportChangeDispatcher>();
        services.AddSingleton<IExportOutbox>(sp => sp.GetRequiredService<ExportChangeDispatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<ExportChangeDispatcher>());
        return builder;
    }

    public static IEndpointRouteBuilder MapExportNotifications(this IEndpointRouteBuilder app)
    {
        app.MapHub<ExportsHub>(ExportsHub.Path);
        return app;
    }
}
