using Microsoft.Extensions.Options;
using Portal.Notifications;

namespace Portal.Schedules;

public static class SchedulesExtensions
{
    /// <summary>Recurring exports: the service, the scheduler and the planner that counts failed runs (section <c>Schedules</c>).</summary>
    public static IHostApplicationBuilder AddSchedules(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ExportScheduler>();
        services.AddHostedService<BackgroundService>(sp => sp.GetRequiredService<IOptions<ScheduleOptions>>().Value.Enabled
            ? sp.GetRequiredService<ExportScheduler>()
            : new DisabledScheduler());
        services.AddSingleton<IDeliveryPlanner, ScheduleFailures>();
        services.AddScoped<IScheduleService, ScheduleService>();
        return builder;
    }

    private sealed class DisabledScheduler : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
