using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Hosting;

public static class ExportEngineExtensions
{
    /// <summary>
    /// The export engine: the database, the upstream client with its budget and pause, the export services, the
    /// tracker and the outbox that tells open pages. The portal, the engine tests and the benchmarks compose it the
    /// same way. It reads the time from a registered <see cref="TimeProvider"/> (the shell's, or a test's fake) and
    /// logs through Security's <see cref="Security.AuditLog"/>.
    /// </summary>
    public static IHostApplicationBuilder AddExportEngine(this IHostApplicationBuilder builder)
    {
        builder.AddPortalData();
        builder.AddUpstream();
        builder.AddExports();
        builder.AddExportTracking();
        builder.AddExportNotifications();
        return builder;
    }
}
