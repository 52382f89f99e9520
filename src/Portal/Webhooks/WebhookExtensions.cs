using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Portal.Notifications;

namespace Portal.Webhooks;

public static class WebhookExtensions
{
    /// <summary>Webhook endpoints, their planner in the outbox, and the sender (section <c>Webhooks</c>).</summary>
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var development = builder.Environment.IsDevelopment();
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => !o.AllowPrivateNetworks || development,
                "Webhooks:AllowPrivateNetworks may be true in Development only: elsewhere webhooks could reach the portal's own network.")
            .Validate(o => o.LeaseDuration > o.Timeout, "Webhooks:LeaseDuration must be longer than Webhooks:Timeout.")
            .Validate(o => o.PortalBaseUrl is null || o.PortalBaseUrl.IsAbsoluteUri, "Webhooks:PortalBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        // The key ring's setup (certificate, Redis or folder) is the host's; this only makes sure one exists.
        services.AddDataProtection();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookAddressGuard>();
        services.AddSingleton<WebhookSenderSignal>();
        services.AddSingleton<WebhookService>();
        services.AddSingleton<IWebhookHealth>(sp => sp.GetRequiredService<WebhookService>());
        services.AddSingleton<WebhookApi.UserReader>();
        services.AddSingleton<IDeliveryPlanner, WebhookPlanner>();
        services.AddSingleton<WebhookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());

        // Receivers are anybody's hosts: no allow-list, but no redirects, no cookies, no proxy, a bounded exchange,
        // and the address checked on every connection. Full URLs are not logged (they may carry a receiver's token).
        services.AddHttpClient(WebhookSender.HttpClientName, (sp, client) =>
            {
                client.Timeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout + TimeSpan.FromSeconds(5);
                client.DefaultRequestHeaders.UserAgent.ParseAdd("DeviceStatusExportPortal-Webhooks/1.0");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                ConnectTimeout = sp.GetRequiredService<IOptions<WebhookOptions>>().Value.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<WebhookAddressGuard>().ConnectAsync,
            })
            .RemoveAllLoggers();
        return builder;
    }
}
