using Portal.Exports;

namespace Portal.Data;

/// <summary>
/// A recurring export: what to export (format, a range relative to each run) and when (a cron expression in the
/// owner's time zone). <see cref="NextRunAt"/> is the scheduler's queue: the row says what is due, nothing in memory.
/// </summary>
public sealed class Schedule : IOwnedResource
{
    public Guid Id { get; set; }

    /// <summary>The team it belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; set; }

    public string OwnerId { get; set; } = "";

    public string OwnerName { get; set; } = "";

    public string? OwnerEmail { get; set; }

    public string Name { get; set; } = "";

    public FileFormat Format { get; set; }

    public ScheduleRangeKind RangeKind { get; set; }

    /// <summary>The N of "the last N hours"; null for the other kinds.</summary>
    public int? RangeHours { get; set; }

    public RecurrenceKind Recurrence { get; set; }

    /// <summary>The 5-field cron expression every kind of recurrence is stored as.</summary>
    public string Cron { get; set; } = "";

    /// <summary>The owner's IANA time zone (<c>Europe/Berlin</c>): the cron and the ranges are read in it.</summary>
    public string TimeZoneId { get; set; } = "";

    /// <summary>The next occurrence to run; null while paused.</summary>
    public DateTimeOffset? NextRunAt { get; set; }

    /// <summary>The last occurrence a run was created for.</summary>
    public DateTimeOffset? LastRunAt { get; set; }

    public DateTimeOffset? PausedAt { get; set; }

    /// <summary>Why it is paused: who paused it, or the failures that paused it.</summary>
    public string? PauseReason { get; set; }

    /// <summary>Runs that failed since the last one that completed; reaching the limit pauses the schedule.</summary>
    public int ConsecutiveFailures { get; set; }

    /// <summary>The destinations every run is delivered to: their ids separated by spaces (empty: none).</summary>
    public string Destinations { get; set; } = "";

    public IReadOnlyList<Guid> DestinationIds => ParseDestinations(Destinations);

    public static IReadOnlyList<Guid> ParseDestinations(string? destinations) =>
        [.. (destinations ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(id => Guid.Parse(id, System.Globalization.CultureInfo.InvariantCulture))];

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Bumped on every write, so the scheduler, the outcome planner and a user never overwrite each other.</summary>
    public int Version { get; set; }

    public List<ScheduleRun> Runs { get; set; } = [];

    public List<ScheduleHistoryEntry> History { get; set; } = [];
}

/// <summary>
/// One occurrence of a schedule that was run. The key <c>(ScheduleId, OccurrenceAt)</c> is unique: however many
/// instances look at a due schedule, one occurrence creates one export request.
/// </summary>
public sealed class ScheduleRun
{
    public long Id { get; set; }

    public Guid ScheduleId { get; set; }

    /// <summary>The slot this run is for, in UTC.</summary>
    public DateTimeOffset OccurrenceAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The export request the run created; null when it could not be created (<see cref="Error"/> says why).</summary>
    public Guid? ExportId { get; set; }

    /// <summary>Set once, when the run's export first ends.</summary>
    public ScheduleRunOutcome? Outcome { get; set; }

    public string? Error { get; set; }
}

/// <summary>What happened to a schedule, in words its owner reads: paused, resumed, edited, slots missed, auto-paused.</summary>
public sealed class ScheduleHistoryEntry
{
    public long Id { get; set; }

    public Guid ScheduleId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>A user's name or <c>scheduler</c>.</summary>
    public string Actor { get; set; } = "";

    public string Text { get; set; } = "";
}

public enum ScheduleRunOutcome
{
    Completed,
    Failed,
    Cancelled,
}

/// <summary>The time range of each run, relative to its occurrence and read in the schedule's zone.</summary>
public enum ScheduleRangeKind
{
    /// <summary>The zone day before the occurrence's day.</summary>
    PreviousDay,
    /// <summary>The seven zone days before the occurrence's day.</summary>
    Previous7Days,
    /// <summary>The calendar month before the occurrence's month.</summary>
    PreviousMonth,
    /// <summary>The N hours up to the occurrence.</summary>
    LastHours,
}

public enum RecurrenceKind
{
    Daily,
    Weekly,
    Monthly,
    Cron,
}
