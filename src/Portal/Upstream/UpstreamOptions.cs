using System.ComponentModel.DataAnnotations;

namespace Portal.Upstream;

/// <summary>The vendor API, section <c>Upstream</c>. An empty <see cref="BaseUrl"/> hosts the bundled simulator.</summary>
public sealed class UpstreamOptions : IValidatableObject
{
    public const string SectionName = "Upstream";

    /// <summary>The API root, e.g. <c>https://api.example/</c>; empty means the embedded simulator under <c>/upstream</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>
    /// Hosts the bundled simulator outside Development (a demo or test host); refused in Production. Development hosts
    /// it whenever <see cref="BaseUrl"/> is empty.
    /// </summary>
    public bool UseSimulator { get; set; }

    /// <summary>Defaults to <c>{BaseUrl}/oauth2/token</c>.</summary>
    public string TokenUrl { get; set; } = "";

    [Required]
    public string ClientId { get; set; } = "portal";

    public string ClientSecret { get; set; } = "";

    public string Scope { get; set; } = "devices.status";

    /// <summary>The whole call, retries included.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retries of a status GET inside one call; the POST is never retried here.</summary>
    [Range(0, 10)]
    public int MaxGetRetries { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A GET answered with a longer <c>Retry-After</c> is not retried inside the call: the tracker reschedules it
    /// instead of holding a connection and a worker while it waits.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxInlineRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BaseUrl.Length > 0 && !IsHttpUrl(BaseUrl))
        {
            yield return new ValidationResult("Upstream:BaseUrl must be an absolute http(s) URL or empty.", [nameof(BaseUrl)]);
        }
        if (TokenUrl.Length > 0 && !IsHttpUrl(TokenUrl))
        {
            yield return new ValidationResult("Upstream:TokenUrl must be an absolute http(s) URL or empty.", [nameof(TokenUrl)]);
        }
        if (BaseUrl.Length > 0 && ClientSecret.Length == 0)
        {
            yield return new ValidationResult("Upstream:ClientSecret is required with an Upstream:BaseUrl.", [nameof(ClientSecret)]);
        }
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
