using System.ComponentModel.DataAnnotations;

namespace Portal.Hosting.ScaleOut;

/// <summary>Section <c>Redis</c>: used only when <c>ConnectionStrings:Redis</c> is set.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Redis";

    public const string ConnectionStringName = "Redis";

    /// <summary>
    /// Starts every key and channel of this portal, so several portals (staging, production) can share one Redis.
    /// Every instance of one portal must use the same prefix.
    /// </summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9_.:-]{1,64}$", ErrorMessage = "Redis:KeyPrefix must be 1 to 64 letters, digits, '_', '.', ':' or '-'.")]
    public string KeyPrefix { get; set; } = "portal";

    /// <summary>The ACL user; overrides <c>user=</c> of the connection string.</summary>
    public string? User { get; set; }

    /// <summary>The password (<c>AUTH</c>); overrides <c>password=</c> of the connection string, so it can come from a secret store.</summary>
    public string? Password { get; set; }

    /// <summary>TLS to Redis; true here turns it on even when the connection string has no <c>ssl=true</c>.</summary>
    public bool Ssl { get; set; }

    /// <summary>The name the server's TLS certificate must carry, when it differs from the host in the connection string.</summary>
    public string? SslHost { get; set; }

    /// <summary>Outside Development, accepts a Redis with neither a password nor TLS.</summary>
    public bool AllowInsecureConnection { get; set; }

    public string Key(string name) => $"{KeyPrefix}:{name}";

    /// <summary>Why a Redis without a password or TLS may not be used outside Development, and which settings to set.</summary>
    public const string InsecureProblem =
        "Redis has neither a password nor TLS: whoever reaches its port could read the key ring and write the shared state. " +
        "Set Redis:Password (or password= in ConnectionStrings:Redis) and Redis:Ssl=true (or ssl=true), " +
        "or set Redis:AllowInsecureConnection=true to accept the risk.";
}
