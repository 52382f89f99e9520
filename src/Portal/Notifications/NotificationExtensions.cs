using Portal.Exports;

namespace Portal.Notifications;

public static class NotificationExtensions
{
    /// <summary>The status-change publisher and the hub that relays it.</summary>
    public static IHostApplicationBuilder AddExportNotifications(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSignalR();
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<ExportEvents>();
        builder.Services.AddSingleton<IExportEvents>(sp => sp.GetRequiredService<ExportEvents>());
        return builder;
    }

    public static IEndpointRouteBuilder MapExportNotifications(this IEndpointRouteBuilder app)
    {
        app.MapHub<ExportsHub>(ExportsHub.Path);
        return app;
    }
}
