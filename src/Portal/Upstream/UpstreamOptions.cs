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

    /// <summary>
    /// Retries of a status GET inside one call a person waits for (a fresh download link); the tracker's polls are
    /// not retried inside the call but rescheduled (<c>Tracking:ErrorRetry</c>), and the POST is never retried here.
    /// </summary>
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

    /// <summary>How long every upstream call pauses after a 429 that names no <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan PauseWithoutRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The share of the call budget (<c>Tracking:PollBudgetPerMinute</c>) that calls users start (previews, zips, file
    /// sizes, fresh download links) cannot take: it is kept for the tracker's polls and POSTs.
    /// </summary>
    [Range(0.0, 0.9)]
    public double ReservedForTrackerShare { get; set; } = 0.3;

    /// <summary>The circuit breaker of the v3 calls, section <c>Upstream:CircuitBreaker</c>.</summary>
    public UpstreamCircuitBreakerOptions CircuitBreaker { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Data annotations do not look into nested objects: the breaker's settings are checked here, with their full name.
        var breakerResults = new List<ValidationResult>();
        if (CircuitBreaker is null)
        {
            yield return new ValidationResult("Upstream:CircuitBreaker must not be empty.", [nameof(CircuitBreaker)]);
        }
        else if (!Validator.TryValidateObject(CircuitBreaker, new ValidationContext(CircuitBreaker), breakerResults, validateAllProperties: true))
        {
            foreach (var result in breakerResults)
            {
                var names = result.MemberNames.Select(n => $"{nameof(CircuitBreaker)}:{n}").ToArray();
                yield return new ValidationResult($"Upstream:CircuitBreaker: {result.ErrorMessage}", names);
            }
        }
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

/// <summary>
/// When the circuit opens: in a <see cref="SamplingDuration"/> with at least <see cref="MinimumThroughput"/> calls,
/// at least <see cref="FailureRatio"/> of them failed (5xx, 408, 429, timeouts, network errors). Open, it pauses
/// every upstream call for <see cref="BreakDuration"/>; then one probe decides whether it closes.
/// </summary>
public sealed class UpstreamCircuitBreakerOptions
{
    [Range(0.01, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int MinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
