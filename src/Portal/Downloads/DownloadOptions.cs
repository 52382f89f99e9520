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
public sealed class DownloadOptions
{
    public const string SectionName = "Downloads";

    public DownloadMode Mode { get; set; } = DownloadMode.Redirect;

    /// <summary>
    /// Hosts the portal may send browsers to (<see cref="DownloadMode.Redirect"/>) or stream files from (<see cref="DownloadMode.Proxy"/>), in the outbound guard's notation
    /// (<c>host</c>, <c>host:port</c>, a URL, <c>*.example.com</c>); any other host is refused. Empty means the
    /// upstream's own hosts.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>
    /// How long to wait for the file host to start answering; the transfer itself is limited only by the outbound
    /// guard (<c>Security:Outbound:Downloads:Timeout</c>, a day by default).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
