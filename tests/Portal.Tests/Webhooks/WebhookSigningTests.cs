using Portal.Data;
using Portal.Webhooks;

namespace Portal.Tests.Webhooks;

public class WebhookSigningTests
{
    [Fact]
    public void SignaturesMatchTheStandardWebhooksSpecificationsExample()
    {
        // The example of the specification (and of its reference libraries' tests).
        var signature = WebhookSigning.Sign(
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            DateTimeOffset.FromUnixTimeSeconds(1614265330),
            """{"test": 2432232314}""",
            ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void BothSecretsSignDuringTheOverlapAndOnlyTheNewOneAfterIt()
    {
        var now = DateTimeOffset.UtcNow;
        var endpoint = new WebhookEndpoint
        {
            Secret = WebhookSigning.NewSecret(),
            PreviousSecret = WebhookSigning.NewSecret(),
            PreviousSecretUntil = now.AddHours(24),
        };

        Assert.Equal([endpoint.Secret, endpoint.PreviousSecret], WebhookSigning.SecretsAt(endpoint, now.AddHours(23)));
        Assert.Equal([endpoint.Secret], WebhookSigning.SecretsAt(endpoint, now.AddHours(24)));
        Assert.Equal(2, WebhookSigning.Sign("msg_1", now, "{}", WebhookSigning.SecretsAt(endpoint, now)).Split(' ').Length);
    }
}
