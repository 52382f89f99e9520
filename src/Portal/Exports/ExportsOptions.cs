using System.ComponentModel.DataAnnotations;

namespace Portal.Exports;

/// <summary>Limits and windows of the export service, section <c>Exports</c>.</summary>
public sealed class ExportsOptions
{
    public const string SectionName = "Exports";

    /// <summary>Submissions (new and re-runs) one user may make per minute.</summary>
    [Range(1, 10_000)]
    public int MaxSubmissionsPerMinute { get; set; } = 10;

    /// <summary>
    /// Exports one user may request per UTC day, from the pages, the API and schedules alike; admins may set another
    /// number for a user.
    /// </summary>
    [Range(1, 100_000)]
    public int DailyAllowancePerUser { get; set; } = 50;

    /// <summary>The longest time range the upstream accepts.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "366.00:00:00")]
    public TimeSpan MaxSpan { get; set; } = TimeSpan.FromDays(31);

    /// <summary>How far past the upstream's clock a range may end.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxFuture { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the upstream keeps results after completion.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan UpstreamRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The same submission again within this window is the same request (a double click).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A stored download URL expiring sooner than this is renewed before it is handed out.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RenewLinksBefore { get; set; } = TimeSpan.FromMinutes(1);
}
