using System.ComponentModel.DataAnnotations;

namespace DeviceApi.Simulator;

/// <summary>The simulator's settings, configuration section <c>Simulator</c>. Defaults suit the demo.</summary>
public sealed class SimulatorOptions : IValidatableObject
{
    public const string SectionName = "Simulator";

    /// <summary>The one client the token endpoint knows.</summary>
    [Required]
    public string ClientId { get; set; } = "portal";

    [Required]
    public string ClientSecret { get; set; } = "portal-secret";

    /// <summary>What <c>expires_in</c> promises, and how long a token lives unless a fault cuts it short.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Devices <c>dev-000000</c> up to this count.</summary>
    [Range(1, 1_000_000)]
    public int DeviceCount { get; set; } = 1_000;

    /// <summary>The data is a deterministic function of device, minute and this seed.</summary>
    public long Seed { get; set; } = 20261127;

    /// <summary>Preparations running at once; more jobs wait in <c>Submitted</c>.</summary>
    [Range(1, 64)]
    public int Workers { get; set; } = 2;

    /// <summary>A job stays <c>Submitted</c> at least this long, so the demo shows the state.</summary>
    public TimeSpan QueueDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A job stays <c>In Progress</c> at least this long, however fast its files are written.</summary>
    public TimeSpan MinimumPreparationTime { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Preparation speed; 0 writes as fast as the machine can.</summary>
    [Range(0, int.MaxValue)]
    public int RowsPerSecond { get; set; }

    /// <summary>Rows per result file; the contract's maximum is 1,000,000.</summary>
    [Range(1, 1_000_000)]
    public int PartSize { get; set; } = 1_000_000;

    /// <summary>How long a pre-signed download URL is valid.</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long results are kept after completion; then status and downloads answer 404.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often purged results are deleted from disk.</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Signs tokens and download URLs; a random secret per process when empty.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>Where result files are stored; a per-process temporary folder (deleted on shutdown) when empty.</summary>
    public string? StoragePath { get; set; }

    /// <summary>
    /// Absolute base URL of download links, such as <c>http://files.localhost:5046/results</c>; its path is where
    /// downloads are served. When empty, links point at <c>{api base}/files</c> on the host the status GET came to.
    /// </summary>
    public string? DownloadBaseUrl { get; set; }

    /// <summary>Quota and fault injection, all off by default.</summary>
    public SimulatorFaultOptions Faults { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value, minimum) in new (string, TimeSpan, TimeSpan)[]
        {
            (nameof(TokenLifetime), TokenLifetime, TimeSpan.FromSeconds(1)),
            (nameof(QueueDelay), QueueDelay, TimeSpan.Zero),
            (nameof(MinimumPreparationTime), MinimumPreparationTime, TimeSpan.Zero),
            (nameof(UrlLifetime), UrlLifetime, TimeSpan.FromSeconds(1)),
            (nameof(Retention), Retention, TimeSpan.Zero),
            (nameof(PurgeInterval), PurgeInterval, TimeSpan.FromMilliseconds(10)),
        })
        {
            if (value < minimum)
            {
                yield return new ValidationResult($"{SectionName}:{name} must be at least {minimum}.", [name]);
            }
        }

        if (!string.IsNullOrEmpty(DownloadBaseUrl)
            && (!Uri.TryCreate(DownloadBaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(DownloadBaseUrl)} must be an absolute http(s) URL.", [nameof(DownloadBaseUrl)]);
        }

        var faults = new List<ValidationResult>();
        Validator.TryValidateObject(Faults, new ValidationContext(Faults), faults, validateAllProperties: true);
        foreach (var result in faults)
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(Faults)}: {result.ErrorMessage}",
                [.. result.MemberNames.Select(member => $"{nameof(Faults)}.{member}")]);
        }
    }
}

/// <summary>Quota and faults, section <c>Simulator:Faults</c>; read on every call, so they may change at run time.</summary>
public sealed class SimulatorFaultOptions : IValidatableObject
{
    /// <summary><c>/v3</c> calls a client may make per <see cref="QuotaWindow"/>; 0 is unlimited.</summary>
    [Range(0, int.MaxValue)]
    public int Quota { get; set; }

    public TimeSpan QuotaWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Share of <c>/v3</c> calls answered 503 (0 to 1).</summary>
    [Range(0.0, 1.0)]
    public double ServiceUnavailableRate { get; set; }

    /// <summary>The <c>Retry-After</c> of a 503.</summary>
    [Range(1, 3600)]
    public int ServiceUnavailableRetryAfterSeconds { get; set; } = 5;

    /// <summary>
    /// Share of accepted POSTs whose answer is lost on the way back (0 to 1): the job is started, but the client sees
    /// <see cref="LostAcceptanceAs"/> instead of the 202.
    /// </summary>
    [Range(0.0, 1.0)]
    public double LostAcceptanceRate { get; set; }

    /// <summary>How a lost acceptance reaches the client.</summary>
    public LostAcceptance LostAcceptanceAs { get; set; } = LostAcceptance.BadGateway;

    /// <summary>Added before every <c>/v3</c> answer.</summary>
    public TimeSpan AddedLatency { get; set; }

    /// <summary>A <c>Retry-After</c> on status answers that are not <c>Completed</c>; 0 sends none.</summary>
    [Range(0, 3600)]
    public int InProgressRetryAfterSeconds { get; set; }

    /// <summary>Share of jobs that stay <c>In Progress</c> forever (0 to 1).</summary>
    [Range(0.0, 1.0)]
    public double NeverCompleteRate { get; set; }

    /// <summary>Share of jobs that vanish while <c>In Progress</c>: their status answers 404 (0 to 1).</summary>
    [Range(0.0, 1.0)]
    public double LostRate { get; set; }

    /// <summary>When set, tokens stop working after this time although <c>expires_in</c> promises more.</summary>
    public TimeSpan? TokenExpiresEarlyAfter { get; set; }

    /// <summary>
    /// 429 and 503 answers give <c>Retry-After</c> as an HTTP date (rounded up to the second) instead of the
    /// contract's integer seconds: a variant the standard allows and a client must survive.
    /// </summary>
    public bool RetryAfterAsHttpDate { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (QuotaWindow < TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult("QuotaWindow must be at least one second.", [nameof(QuotaWindow)]);
        }

        if (AddedLatency < TimeSpan.Zero)
        {
            yield return new ValidationResult("AddedLatency must not be negative.", [nameof(AddedLatency)]);
        }

        if (TokenExpiresEarlyAfter < TimeSpan.Zero)
        {
            yield return new ValidationResult("TokenExpiresEarlyAfter must not be negative.", [nameof(TokenExpiresEarlyAfter)]);
        }
    }
}

/// <summary>How the answer to an accepted POST is lost.</summary>
public enum LostAcceptance
{
    /// <summary>A gateway answers 502 after the service took the job.</summary>
    BadGateway,

    /// <summary>The connection closes before any answer.</summary>
    DroppedConnection,
}
