using System.ComponentModel.DataAnnotations;

namespace Portal.Destinations;

/// <summary>How exports are delivered to destinations, section <c>Deliveries</c>.</summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "Deliveries";

    /// <summary>Whether this instance delivers; off, the rows wait for an instance that does.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the worker looks for due deliveries when nothing woke it (another instance's exports).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a claim holds a delivery; renewed while its files stream, so it bounds only how soon a dead worker's delivery is taken up again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Deliveries worked on at once by one instance.</summary>
    [Range(1, 64)]
    public int MaxParallelDeliveries { get; set; } = 2;

    /// <summary>Failed attempts after which a delivery is given up (<c>Failed</c>).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; doubled after each further one up to <see cref="MaxRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The wait when the upstream budget has no room for a file's download now (not counted as an attempt).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan BudgetWait { get; set; } = TimeSpan.FromSeconds(5);
}
