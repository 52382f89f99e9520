using System.Globalization;
using System.Security.Cryptography;
using StandardWebhooks;
using Portal.Data;

namespace Portal.Webhooks;

/// <summary>Secrets and signatures as the Standard Webhooks specification has them.</summary>
public static class WebhookSigning
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    /// <summary>A new <c>whsec_</c> secret: 32 random bytes, base64.</summary>
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// The <c>webhook-signature</c> value: <c>v1,&lt;sig&gt;</c> per secret, separated by spaces, so during a rotation's
    /// overlap a receiver holding either secret verifies.
    /// </summary>
    public static string Sign(string messageId, DateTimeOffset timestamp, string body, IEnumerable<string> secrets) =>
        string.Join(' ', secrets.Select(secret => new StandardWebhook(secret).Sign(messageId, timestamp, body)));

    /// <summary>The secrets that sign at <paramref name="now"/>: the current one, and the previous one during its overlap.</summary>
    public static IReadOnlyList<string> SecretsAt(WebhookEndpoint endpoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.PreviousSecret is { } previous && endpoint.PreviousSecretUntil > now
            ? [endpoint.Secret, previous]
            : [endpoint.Secret];
    }

    public static string UnixSeconds(DateTimeOffset timestamp) =>
        timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
