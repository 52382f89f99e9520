using System.ComponentModel.DataAnnotations;

namespace Portal.Webhooks;

/// <summary>Webhook deliveries, section <c>Webhooks</c>.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Lets receivers on loopback, link-local and private addresses (and plain http) through. Development only: the
    /// portal refuses to start with it anywhere else.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>The portal's public address, for the links in events; without it the links are paths.</summary>
    public Uri? PortalBaseUrl { get; set; }

    /// <summary>Cap on one POST, from connecting to the receiver's answer.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The first retry waits this long; each later one twice as long, up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(2);

    /// <summary>A delivery is retried this long after its first attempt, then given up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint whose deliveries have failed this long without one success is disabled and its owner told.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>After a rotation, the old secret signs beside the new one this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often the sender looks for due deliveries without being woken.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries one pass claims and sends at once.</summary>
    [Range(1, 64)]
    public int MaxParallelDeliveries { get; set; } = 4;

    /// <summary>How long a claim keeps other instances off a delivery; longer than <see cref="Timeout"/> (checked at start).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 100)]
    public int MaxEndpointsPerUser { get; set; } = 10;

    /// <summary>The shortest time between two test events of one endpoint.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan TestInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Test events of one endpoint still waiting to be delivered (retried) before no new one is queued.</summary>
    [Range(1, 100)]
    public int MaxPendingTests { get; set; } = 3;
}
