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

    public string Key(string name) => $"{KeyPrefix}:{name}";
}
