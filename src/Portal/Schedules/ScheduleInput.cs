using System.Globalization;
using Cronos;
using Portal.Data;
using Portal.Exports;
using Portal.Kernel;

namespace Portal.Schedules;

/// <summary>
/// What a user fills in for a schedule, from the form or the API. Daily, weekly and monthly recurrences become a
/// cron expression built from <see cref="Time"/>, <see cref="Days"/> and <see cref="DayOfMonth"/>; the advanced kind
/// takes the user's own 5-field <see cref="Cron"/>.
/// </summary>
public sealed record ScheduleInput
{
    public string Name { get; init; } = "";

    public FileFormat Format { get; init; } = FileFormat.Csv;

    public ScheduleRangeKind RangeKind { get; init; } = ScheduleRangeKind.PreviousDay;

    /// <summary>The N of "the last N hours".</summary>
    public int? RangeHours { get; init; }

    public RecurrenceKind Recurrence { get; init; } = RecurrenceKind.Daily;

    /// <summary>The local time of day of a daily, weekly or monthly run.</summary>
    public TimeOnly Time { get; init; } = new(6, 0);

    /// <summary>The days of a weekly run.</summary>
    public IReadOnlyList<DayOfWeek> Days { get; init; } = [DayOfWeek.Monday];

    /// <summary>The day of a monthly run, 1 to 28 so that every month has it.</summary>
    public int DayOfMonth { get; init; } = 1;

    /// <summary>The advanced kind's own 5-field cron expression (minute hour day month weekday).</summary>
    public string? Cron { get; init; }

    /// <summary>An IANA time zone id, e.g. <c>Europe/Berlin</c>.</summary>
    public string TimeZoneId { get; init; } = "UTC";

    /// <summary>The owner's destinations every run is delivered to (none: the files stay with their links).</summary>
    public IReadOnlyList<Guid> Destinations { get; init; } = [];

    /// <summary>
    /// The team it belongs to, by name. On create, null keeps it the user's own; on an edit, null keeps the schedule's
    /// team and a name moves it to that team (one the editor is a member of).
    /// </summary>
    public string? Team { get; init; }

    public const int MaxNameLength = 100;

    /// <summary>The form's fields for a stored schedule (the time, days and day of month read back from its cron).</summary>
    public static ScheduleInput From(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var input = new ScheduleInput
        {
            Name = schedule.Name,
            Format = schedule.Format,
            RangeKind = schedule.RangeKind,
            RangeHours = schedule.RangeHours,
            Recurrence = schedule.Recurrence,
            TimeZoneId = schedule.TimeZoneId,
            Cron = schedule.Recurrence == RecurrenceKind.Cron ? schedule.Cron : null,
            Destinations = schedule.DestinationIds,
            Team = schedule.Team,
        };
        if (schedule.Recurrence == RecurrenceKind.Cron)
        {
            return input;
        }
        // Built by BuildCron below: "minute hour day-of-month * days-of-week".
        var fields = schedule.Cron.Split(' ');
        input = input with { Time = new TimeOnly(int.Parse(fields[1], CultureInfo.InvariantCulture), int.Parse(fields[0], CultureInfo.InvariantCulture)) };
        return schedule.Recurrence switch
        {
            RecurrenceKind.Weekly => input with { Days = [.. fields[4].Split(',').Select(d => (DayOfWeek)int.Parse(d, CultureInfo.InvariantCulture))] },
            RecurrenceKind.Monthly => input with { DayOfMonth = int.Parse(fields[2], CultureInfo.InvariantCulture) },
            _ => input,
        };
    }
}

/// <summary>
/// A checked input: the cron expression, the zone and the errors per field (empty when valid). The expression and the
/// zone are set whenever they are valid themselves, so the next runs can be shown while another field is wrong.
/// </summary>
public sealed record ScheduleDefinition(string Cron, CronExpression? Expression, TimeZoneInfo? Zone, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// Checks <paramref name="input"/>; keys of <see cref="Errors"/> are the input's field names in camel case
    /// (<c>name</c>, <c>rangeHours</c>, <c>cron</c>, ...), as the form and the API show them.
    /// </summary>
    public static ScheduleDefinition Check(ScheduleInput input, ExportsOptions exports, DateTimeOffset now, TimeSpan? minimumInterval = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(exports);
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(input.Name))
        {
            errors["name"] = ["Give the schedule a name."];
        }
        else if (input.Name.Trim().Length > ScheduleInput.MaxNameLength)
        {
            errors["name"] = [$"The name may be at most {ScheduleInput.MaxNameLength} characters long."];
        }
        else if (NameText.HasControlCharacters(input.Name.Trim()))
        {
            errors["name"] = [NameText.ControlCharactersProblem("schedule's name")];
        }
        if (!Enum.IsDefined(input.Format))
        {
            errors["format"] = ["Unknown file format."];
        }
        if (!Enum.IsDefined(input.RangeKind))
        {
            errors["rangeKind"] = ["Unknown kind of range."];
        }
        var maxHours = (int)exports.MaxSpan.TotalHours;
        if (input.RangeKind == ScheduleRangeKind.LastHours && (input.RangeHours is not { } hours || hours < 1 || hours > maxHours))
        {
            errors["rangeHours"] = [$"Enter a number of hours from 1 to {maxHours}."];
        }
        var zone = ScheduleClock.FindZone(input.TimeZoneId);
        if (zone is null)
        {
            errors["timeZoneId"] = [$"Unknown time zone '{input.TimeZoneId}': use an IANA id such as Europe/Berlin."];
        }
        var cron = BuildCron(input, errors);
        CronExpression? expression = null;
        if (cron is not null && !CronExpression.TryParse(cron, CronFormat.Standard, out expression))
        {
            errors["cron"] = ["Not a valid cron expression: use five fields, minute hour day-of-month month day-of-week (e.g. 30 6 * * 1-5)."];
        }
        if (expression is not null && zone is not null && ScheduleClock.NextRuns(expression, zone, now, 1).Count == 0)
        {
            errors["cron"] = ["This cron expression never runs."];
        }
        else if (expression is not null && zone is not null && TooOften(expression, zone, now, minimumInterval ?? ScheduleOptions.DefaultMinimumInterval) is { } problem)
        {
            errors[input.Recurrence == RecurrenceKind.Cron ? "cron" : "recurrence"] = [problem];
        }
        return new ScheduleDefinition(cron ?? "", expression, zone, errors);
    }

    /// <summary>How many coming runs are checked against the minimum interval: enough for every pattern of a week of hours.</summary>
    private const int RunsChecked = 200;

    /// <summary>A message naming the minimum when two of the coming runs are closer than <paramref name="minimum"/>; else null.</summary>
    public static string? TooOften(CronExpression expression, TimeZoneInfo zone, DateTimeOffset now, TimeSpan minimum)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var runs = ScheduleClock.NextRuns(expression, zone, now, RunsChecked);
        for (var i = 1; i < runs.Count; i++)
        {
            var gap = runs[i] - runs[i - 1];
            if (gap < minimum)
            {
                return $"Runs must be at least {Describe(minimum)} apart (Schedules:MinimumInterval); this one runs only {Describe(gap)} after the run before it. Choose fewer runs.";
            }
        }
        return null;
    }

    /// <summary>A span in words: "1 hour", "30 minutes", "1 day 2 hours".</summary>
    public static string Describe(TimeSpan span)
    {
        var parts = new List<string>();
        Add(span.Days, "day");
        Add(span.Hours, "hour");
        Add(span.Minutes, "minute");
        Add(span.Seconds, "second");
        return parts.Count == 0 ? "0 minutes" : string.Join(' ', parts);

        void Add(int count, string unit)
        {
            if (count > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{(count == 1 ? "" : "s")}"));
            }
        }
    }

    private static string? BuildCron(ScheduleInput input, Dictionary<string, string[]> errors)
    {
        var at = string.Create(CultureInfo.InvariantCulture, $"{input.Time.Minute} {input.Time.Hour}");
        switch (input.Recurrence)
        {
            case RecurrenceKind.Daily:
                return $"{at} * * *";
            case RecurrenceKind.Weekly when input.Days is { Count: > 0 } days && days.All(Enum.IsDefined):
                return $"{at} * * {string.Join(',', days.Distinct().Order().Select(d => ((int)d).ToString(CultureInfo.InvariantCulture)))}";
            case RecurrenceKind.Weekly:
                errors["days"] = ["Choose at least one day of the week."];
                return null;
            case RecurrenceKind.Monthly when input.DayOfMonth is >= 1 and <= 28:
                return string.Create(CultureInfo.InvariantCulture, $"{at} {input.DayOfMonth} * *");
            case RecurrenceKind.Monthly:
                errors["dayOfMonth"] = ["Choose a day from 1 to 28 (every month has it)."];
                return null;
            case RecurrenceKind.Cron when string.IsNullOrWhiteSpace(input.Cron):
                errors["cron"] = ["Enter a cron expression, e.g. 30 6 * * 1-5 for 06:30 on weekdays."];
                return null;
            case RecurrenceKind.Cron:
                return string.Join(' ', input.Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            default:
                errors["recurrence"] = ["Unknown kind of recurrence."];
                return null;
        }
    }
}
