using System.ComponentModel.DataAnnotations;

namespace Portal.Downloads;

public enum DownloadMode
{
    /// <summary>Send the browser to the file host with a fresh pre-signed URL.</summary>
    Redirect,

    /// <summary>Stream the file through the portal, for browsers that cannot reach the file host.</summary>
    Proxy,
}

/// <summary>How result files reach the browser, section <c>Downloads</c>.</summary>
public sealed class DownloadOptions : IValidatableObject
{
    public const string SectionName = "Downloads";

    public DownloadMode Mode { get; set; } = DownloadMode.Redirect;

    /// <summary>Hosts the portal may stream files from in <see cref="DownloadMode.Proxy"/> mode; any other host is refused.</summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>How long to wait for the file host to start answering; the transfer itself is not limited.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode == DownloadMode.Proxy && AllowedHosts.Count == 0)
        {
            yield return new ValidationResult(
                "Downloads:AllowedHosts must name the file hosts when Downloads:Mode is Proxy.", [nameof(AllowedHosts)]);
        }
    }

    public bool Allows(Uri url) =>
        url.Scheme is "https" or "http" && AllowedHosts.Any(h => string.Equals(h, url.Authority, StringComparison.OrdinalIgnoreCase)
            || string.Equals(h, url.Host, StringComparison.OrdinalIgnoreCase));
}
