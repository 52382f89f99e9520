using Portal.Data;
using Portal.Exports;

namespace Portal.Schedules;

/// <summary>One schedule as lists and the API show it; <see cref="OwnerName"/> is who set it up.</summary>
public sealed record ScheduleSummary(
    Guid Id,
    string OwnerId,
    string OwnerName,
    string Name,
    FileFormat Format,
    ScheduleRangeKind RangeKind,
    int? RangeHours,
    RecurrenceKind Recurrence,
    string Cron,
    string TimeZoneId,
    DateTimeOffset? NextRunAt,
    DateTimeOffset? LastRunAt,
    DateTimeOffset? PausedAt,
    string? PauseReason,
    int ConsecutiveFailures,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt) : IOwnedResource
{
    /// <summary>The team it belongs to; null when it is its owner's alone.</summary>
    public string? Team { get; init; }

    /// <summary>The destinations every run is delivered to.</summary>
    public IReadOnlyList<Guid> Destinations { get; init; } = [];

    public bool IsPaused => PausedAt is not null;

    public string RecurrenceText => ScheduleClock.DescribeRecurrence(Recurrence, Cron);

    public string RangeText => ScheduleClock.DescribeRange(RangeKind, RangeHours);
}

/// <summary>A run of a schedule and where its export stands.</summary>
public sealed record ScheduleRunInfo(DateTimeOffset OccurrenceAt, DateTimeOffset CreatedAt, Guid? ExportId, ExportStatus? Status, ScheduleRunOutcome? Outcome, string? Error);

public sealed record ScheduleHistoryInfo(DateTimeOffset At, string Actor, string Text);

/// <summary>Everything a schedule's page shows: the latest runs and history first.</summary>
public sealed record ScheduleDetails(ScheduleSummary Summary, IReadOnlyList<ScheduleRunInfo> Runs, IReadOnlyList<ScheduleHistoryInfo> History);

/// <summary>The answer to saving, pausing or resuming a schedule.</summary>
public abstract record ScheduleOutcome
{
    private ScheduleOutcome() { }

    public sealed record Saved(ScheduleSummary Schedule) : ScheduleOutcome;

    /// <summary>Nothing saved; field name (camel case, as in <see cref="ScheduleInput"/>) to messages.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : ScheduleOutcome;

    /// <summary>No such schedule, or not one the user may read.</summary>
    public sealed record NotFound : ScheduleOutcome;

    /// <summary>The user reads it (a member of its team) but only the team's maintainers may change it.</summary>
    public sealed record Forbidden : ScheduleOutcome;

    /// <summary>Deleted.</summary>
    public sealed record Deleted : ScheduleOutcome;

    /// <summary>Someone (or the scheduler) changed it meanwhile; reload and try again.</summary>
    public sealed record Conflict : ScheduleOutcome;
}
