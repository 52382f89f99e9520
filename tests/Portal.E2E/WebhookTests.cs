using Portal.Testing;

namespace Portal.E2E;

[Collection(BrowserTestsB.Name)]
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

    [Fact]
    public async Task AUserCopiesTheNewSecretChangesTheEventsAndReSendsADeliveryFromTheLog()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var session = await server.NewSessionAsync();
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await session.SignInAsync("Cora Copy", returnUrl: "/account/webhooks");
        var page = session.Page;
        var url = page.Locator("input[data-testid=webhook-url], [data-testid=webhook-url] input").First;
        await url.PressSequentiallyAsync(receiver.Url.ToString());
        await url.PressAsync("Tab");
        await page.GetByTestId("webhook-register").ClickAsync();

        await Expect(page.GetByTestId("webhook-secret")).ToContainTextAsync("whsec_");
        var secret = (await page.GetByTestId("webhook-secret").InnerTextAsync()).Trim();
        await page.GetByTestId("copy-webhook-secret").ClickAsync();
        await Expect(page.GetByTestId("webhook-secret-copied")).ToHaveTextAsync("Copied");
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        var webhook = page.GetByTestId("webhook");
        await Expect(webhook.GetByText("export.failed", new() { Exact = true })).ToHaveCountAsync(1);
        await webhook.GetByTestId("webhook-edit").ClickAsync();
        var form = webhook.GetByTestId("webhook-edit-form");
        await form.GetByLabel("export.failed", new() { Exact = true }).UncheckAsync();
        await form.GetByTestId("webhook-edit-save").ClickAsync();
        await Expect(form).ToHaveCountAsync(0);
        await Expect(webhook.GetByText("export.failed", new() { Exact = true })).ToHaveCountAsync(0);
        await Expect(webhook.GetByText("export.completed", new() { Exact = true })).ToHaveCountAsync(1);

        await webhook.GetByTestId("webhook-send-test").ClickAsync();
        await Expect(webhook.GetByTestId("webhook-log-row")).ToHaveAttributeAsync("data-status-code", "204");
        await webhook.GetByTestId("webhook-resend").ClickAsync();
        // Snackbars show three at a time: this one may wait for an earlier one to go.
        await Expect(page.GetByText("Queued: the webhook.test event is sent again shortly", new() { Exact = false })).ToBeVisibleAsync();
        await Expect(webhook.GetByTestId("webhook-log-row")).ToHaveCountAsync(2);
        await Expect(webhook.GetByTestId("webhook-log-row").First).ToHaveAttributeAsync("data-status-code", "204");
        var received = receiver.Received;
        Assert.Equal(2, received.Count);
        Assert.NotEqual(received[0].Id, received[1].Id);
        Assert.Equal(received[0].Body, received[1].Body);
        received[1].Verify(secret);
        session.AssertNoConsoleErrors();
    }
}
