using Portal.Webhooks;

namespace Portal.Tests.Fakes;

public sealed class FakeWebhookHealth : IWebhookHealth
{
    public WebhookHealth Health { get; set; } = new(0, 0, 0, 0, 0, 0);

    public Task<WebhookHealth> GetHealthAsync(CancellationToken cancellationToken) => Task.FromResult(Health);
}
