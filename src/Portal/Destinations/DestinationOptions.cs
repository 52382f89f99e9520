using System.ComponentModel.DataAnnotations;

namespace Portal.Destinations;

/// <summary>Destinations and what the portal writes to them, section <c>Destinations</c>.</summary>
public sealed class DestinationOptions
{
    public const string SectionName = "Destinations";

    /// <summary>
    /// The kinds users may define and deliver to: <c>azure-blob</c>, <c>sftp</c>. Unset: both. <c>none</c> alone turns
    /// destinations off.
    /// </summary>
    public string[]? Kinds { get; set; }

    /// <summary>
    /// Hosts destinations may point at: host names or <c>*.suffix</c> (any subdomain), for SFTP hosts and blob
    /// endpoints. Empty: any host on a public address.
    /// </summary>
    public string[]? AllowedHosts { get; set; }

    /// <summary>
    /// Lets destinations on loopback, link-local and private addresses (and blob endpoints over plain http) through.
    /// Development only: the portal refuses to start with it anywhere else.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Cap on connecting and on each call to a destination (not on a whole upload).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The size of each block staged to a blob: what one upload holds in memory at a time.</summary>
    [Range(64 * 1024, 100 * 1024 * 1024)]
    public int BlockSize { get; set; } = 8 * 1024 * 1024;

    [Range(1, 1000)]
    public int MaxPerUser { get; set; } = 50;

    public IReadOnlyList<string> EnabledKinds =>
        Kinds is null || Kinds.Length == 0
            ? DestinationKinds.All
            : [.. DestinationKinds.All.Where(k => Kinds.Any(e => string.Equals(e?.Trim(), k, StringComparison.OrdinalIgnoreCase)))];
}
