using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Security;

namespace Portal.Exports;

public static class ExportsExtensions
{
    /// <summary>The export service with its limits (section <c>Exports</c>) and metrics.</summary>
    public static IHostApplicationBuilder AddExports(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ExportsOptions>().BindConfiguration(ExportsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PortalAuthorizationOptions>().BindConfiguration(PortalAuthorizationOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SubmissionGate>();
        services.AddSingleton<ExportMetrics>();
        services.TryAddSingleton<AuditLog>();
        services.AddScoped<IExportService, ExportService>();
        return builder;
    }
}
