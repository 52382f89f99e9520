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
        services.AddHostedService(sp => sp.GetRequiredService<ExportScheduler>());
        services.AddSingleton<IDeliveryPlanner, ScheduleFailures>();
        services.AddScoped<IScheduleService, ScheduleService>();
        return builder;
    }
}
