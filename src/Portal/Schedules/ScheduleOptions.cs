using System.ComponentModel.DataAnnotations;

namespace Portal.Schedules;

/// <summary>The scheduler and the limits of schedules, section <c>Schedules</c>.</summary>
public sealed class ScheduleOptions
{
    public const string SectionName = "Schedules";

    /// <summary>Whether this instance runs the scheduler; every instance may, the unique occurrence key keeps runs single.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the scheduler looks for due schedules; cron has minutes, so well under one.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Runs failing in a row (failed, timed out, unconfirmed, or not created) that pause a schedule.</summary>
    [Range(1, 100)]
    public int MaxConsecutiveFailures { get; set; } = 3;

    /// <summary>Schedules one user may have.</summary>
    [Range(1, 1000)]
    public int MaxPerUser { get; set; } = 20;

    /// <summary>
    /// The shortest time between two runs of one schedule: a recurrence that runs more often is refused, and a stored
    /// schedule that would runs no more often than this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan MinimumInterval { get; set; } = DefaultMinimumInterval;

    public static readonly TimeSpan DefaultMinimumInterval = TimeSpan.FromHours(1);
}
