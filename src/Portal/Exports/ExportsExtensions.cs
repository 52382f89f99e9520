using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Portal.Data;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Exports;

public static class ExportsExtensions
{
    /// <summary>The export services with their limits (section <c>Exports</c>), metrics and health checks.</summary>
    public static IHostApplicationBuilder AddExports(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ExportsOptions>().BindConfiguration(ExportsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PortalAuthorizationOptions>().BindConfiguration(PortalAuthorizationOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SubmissionGate>();
        services.AddSingleton<ExportMetrics>();
        services.TryAddSingleton<AuditLog>();
        services.AddSingleton<ExportProgress>();
        services.AddSingleton<ExportAccess>();
        services.AddSingleton<TrackerSignal>();
        services.AddScoped<IExportSubmissions, ExportSubmissions>();
        services.AddScoped<IExportQueries, ExportQueries>();
        services.AddScoped<IExportCommands, ExportCommands>();
        services.AddScoped<IExportNoticeInbox, ExportNoticeInbox>();
        services.AddScoped<IExportStatistics, ExportStatisticsQueries>();

        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<UpstreamHealthCheck>("upstream", HealthStatus.Unhealthy);

        var telemetry = services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ExportMetrics.MeterName));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    /// <summary><c>/health</c>: database, tracker, upstream.</summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health").AllowAnonymous();
        return app;
    }
}
