using System.ComponentModel.DataAnnotations;

namespace Portal.Security;

/// <summary>Sign-in, session and transport limits, section <c>Security</c>.</summary>
public sealed class SecurityOptions
{
    public const string SectionName = "Security";

    /// <summary>
    /// How long a sign-in lasts. The session does not slide: when it ends, the next request (or the next
    /// revalidation of an open page) signs in again, which is when Entra ID hands out current roles.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often an open page re-checks that its user is still signed in with the same rights.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest message a browser may send over its Blazor circuit.</summary>
    [Range(4 * 1024, 1024 * 1024)]
    public long CircuitMaximumReceiveMessageSize { get; set; } = 32 * 1024;

    /// <summary>How long the server keeps a disconnected circuit for the browser to come back to.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:30:00")]
    public TimeSpan DisconnectedCircuitRetentionPeriod { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How many disconnected circuits the server keeps at most.</summary>
    [Range(1, 10_000)]
    public int DisconnectedCircuitMaxRetained { get; set; } = 100;

    /// <summary>Largest message a client may send to the portal's own SignalR hubs (they only subscribe).</summary>
    [Range(1024, 1024 * 1024)]
    public long HubMaximumReceiveMessageSize { get; set; } = 8 * 1024;

    /// <summary>Content-Security-Policy reports accepted per client address and minute; more are answered 429.</summary>
    [Range(1, 10_000)]
    public int CspReportsPerMinute { get; set; } = 30;

    /// <summary>The development sign-in, used only in Development and only when <c>AzureAd</c> is not configured.</summary>
    public DevelopmentSignInOptions Development { get; set; } = new();
}

public sealed class DevelopmentSignInOptions
{
    /// <summary>Demo users offered on the development sign-in page; a few built-in ones when empty.</summary>
    public List<DevelopmentUserOptions> Users { get; set; } = [];
}

public sealed class DevelopmentUserOptions
{
    [Required]
    public string Name { get; set; } = "";

    public string? Email { get; set; }

    public bool IsAdmin { get; set; }
}
