using System.ComponentModel.DataAnnotations;

namespace Portal.Notifications;

/// <summary>The outbox dispatcher and the subscribers' queues, section <c>Notifications</c>.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notifications";

    /// <summary>
    /// How often the dispatcher looks for event rows without being woken: rows written by another instance, or
    /// left unpublished by a crash.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan DispatchInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Changes waiting for one subscriber; past that it misses them and catches up from the event rows.</summary>
    [Range(1, 100_000)]
    public int SubscriberQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Origins (<c>https://host[:port]</c>) besides the one a request is addressed to whose pages may open the hub and
    /// Blazor circuits, e.g. when a proxy rewrites <c>Host</c>. Every other page origin is refused (403).
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];
}
