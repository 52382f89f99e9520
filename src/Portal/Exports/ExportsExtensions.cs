namespace Portal.Exports;

public static class ExportsExtensions
{
    /// <summary>
    /// The export services with their limits (section <c>Exports</c>). They need the shell's
    /// <see cref="TimeProvider"/> and Security's <see cref="Security.AuditLog"/>.
    /// </summary>
    public static IHostApplicationBuilder AddExports(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ExportsOptions>().BindConfiguration(ExportsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ISubmissionGate, SubmissionGate>();
        services.AddSingleton<ExportMetrics>();
        services.AddSingleton<ExportProgress>();
        services.AddSingleton<ExportAccess>();
        services.AddSingleton<TrackerSignal>();
        services.AddSingleton<ExportAllowances>();
        services.AddSingleton<IExportAllowances>(sp => sp.GetRequiredService<ExportAllowances>());
        services.AddScoped<IExportSubmissions, ExportSubmissions>();
        services.AddSingleton<ExportDeliveries>();
        services.AddScoped<IExportQueries, ExportQueries>();
        services.AddScoped<IExportCommands, ExportCommands>();
        services.AddScoped<IExportShares, ExportShares>();
        services.AddScoped<IExportNoticeInbox, ExportNoticeInbox>();
        services.AddScoped<IExportStatistics, ExportStatisticsQueries>();

        return builder;
    }
}
