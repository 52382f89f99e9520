using Portal.Testing;

namespace Portal.E2E;

[Collection(BrowserTests.Name)]
public class WebhookTests(PortalServer server)
{
    [Fact]
    public async Task AUserRegistersAWebhookSendsATestEventAndSeesItInTheDeliveryLog()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var session = await server.NewSessionAsync();
        await session.SignInAsync("Hannah Hook", returnUrl: "/account/webhooks");
        var page = session.Page;
        await Expect(page.GetByTestId("webhooks-empty")).ToBeVisibleAsync();

        var url = page.Locator("input[data-testid=webhook-url], [data-testid=webhook-url] input").First;
        await url.FillAsync(receiver.Url.ToString());
        await url.PressAsync("Tab");
        await page.GetByTestId("webhook-register").ClickAsync();

        await Expect(page.GetByTestId("webhook-secret")).ToContainTextAsync("whsec_");
        var secret = (await page.GetByTestId("webhook-secret").InnerTextAsync()).Trim();
        var webhook = page.GetByTestId("webhook");
        await Expect(webhook).ToHaveCountAsync(1);
        await Expect(webhook.GetByTestId("webhook-endpoint-url")).ToHaveTextAsync(receiver.Url.ToString());
        await Expect(webhook.GetByTestId("webhook-state")).ToContainTextAsync("Active");
        await Expect(webhook.GetByTestId("webhook-log-empty")).ToBeVisibleAsync();

        await webhook.GetByTestId("webhook-send-test").ClickAsync();

        var row = webhook.GetByTestId("webhook-log-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToHaveAttributeAsync("data-event", "webhook.test");
        await Expect(row).ToHaveAttributeAsync("data-status-code", "204");
        var received = Assert.Single(receiver.Received);
        Assert.Contains("\"webhook.test\"", received.Body, StringComparison.Ordinal);
        received.Verify(secret);
        await session.AssertAccessibleAsync();
        session.AssertNoConsoleErrors();
    }
}
