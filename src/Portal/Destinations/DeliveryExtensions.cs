using Portal.Notifications;

namespace Portal.Destinations;

internal static class DeliveryExtensions
{
    /// <summary>The delivery worker, its wake-up in the outbox and its options (section <c>Deliveries</c>).</summary>
    public static IServiceCollection AddDeliveries(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.MaxRetryDelay >= o.RetryDelay, "Deliveries:MaxRetryDelay must be at least Deliveries:RetryDelay.")
            .ValidateOnStart();
        services.AddSingleton<ResultFileSource>();
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<IDeliveryPlanner>(sp => sp.GetRequiredService<DeliverySignal>());
        services.AddSingleton<DeliveryWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<DeliveryWorker>());
        return services;
    }
}
