using System.ComponentModel.DataAnnotations;

namespace Portal.Api;

/// <summary>The API for scripts, section <c>Api</c>.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>
    /// With Entra ID configured: the delegated scope (e.g. <c>Exports.ReadWrite</c>) an Entra bearer token must carry.
    /// Entra bearer tokens are accepted only when this or <see cref="AppRole"/> is set.
    /// </summary>
    public string? Scope { get; set; }

    /// <summary>With Entra ID configured: the app role (e.g. <c>Exports.Api</c>) that admits an Entra bearer token.</summary>
    public string? AppRole { get; set; }

    /// <summary>The longest expiry a personal access token may be given.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "730.00:00:00")]
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// The longest expiry, in days, of a token created by an admin (one that acts as admin while its owner's latest
    /// sign-in carries the admin role); never longer than <see cref="MaxTokenLifetime"/>.
    /// </summary>
    [Range(1, 730)]
    public int AdminTokenMaxLifetimeDays { get; set; } = 30;

    /// <summary>A token is refused once its owner has not signed in to the portal interactively for this many days.</summary>
    [Range(1, 730)]
    public int TokenOwnerIdleDays { get; set; } = 30;

    /// <summary>Personal access tokens one user may hold at once (not revoked, not expired).</summary>
    [Range(1, 1000)]
    public int MaxTokensPerUser { get; set; } = 20;

    /// <summary>True when Entra bearer tokens are accepted besides personal access tokens.</summary>
    public bool AcceptsEntraTokens => !string.IsNullOrWhiteSpace(Scope) || !string.IsNullOrWhiteSpace(AppRole);
}
