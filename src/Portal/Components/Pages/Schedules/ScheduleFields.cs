using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Schedules;

namespace Portal.Components.Pages.Schedules;

/// <summary>
/// A schedule's form fields as the browser sends them (numbers and times as text), filled from a saved schedule and
/// read back into a <see cref="ScheduleInput"/>.
/// </summary>
public sealed class ScheduleFields
{
    public string Name { get; set; } = "";

    public FileFormat Format { get; set; } = FileFormat.Csv;

    public ScheduleRangeKind RangeKind { get; set; } = ScheduleRangeKind.PreviousDay;

    public string Hours { get; set; } = "24";

    public RecurrenceKind Recurrence { get; set; } = RecurrenceKind.Daily;

    public string Time { get; set; } = "06:00";

    public HashSet<DayOfWeek> Days { get; } = [DayOfWeek.Monday];

    public string DayOfMonth { get; set; } = "1";

    public string Cron { get; set; } = "";

    public string ZoneId { get; set; } = "UTC";

    /// <summary>The destinations every run is delivered to.</summary>
    public IReadOnlyList<Guid> Destinations { get; set; } = [];

    /// <summary>The team the schedule belongs to; null: the user's own.</summary>
    public string? Team { get; set; }

    public void Fill(ScheduleSummary s)
    {
        var input = ScheduleInput.From(new Schedule
        {
            Name = s.Name, Format = s.Format, RangeKind = s.RangeKind, RangeHours = s.RangeHours, Recurrence = s.Recurrence, Cron = s.Cron, TimeZoneId = s.TimeZoneId,
        });
        Name = input.Name;
        Format = input.Format;
        RangeKind = input.RangeKind;
        Hours = BrowserInput.FormatInt(input.RangeHours ?? 24);
        Recurrence = input.Recurrence;
        Time = BrowserInput.FormatTime(input.Time);
        Days.Clear();
        Days.UnionWith(input.Days);
        DayOfMonth = BrowserInput.FormatInt(input.DayOfMonth);
        Cron = input.Cron ?? "";
        ZoneId = input.TimeZoneId;
        Destinations = s.Destinations;
        Team = s.Team;
    }

    public void ToggleDay(DayOfWeek day, bool on)
    {
        if (on)
        {
            Days.Add(day);
        }
        else
        {
            Days.Remove(day);
        }
    }

    /// <summary>The input to check and save, and the errors only the form can see (a time that cannot be read).</summary>
    public (ScheduleInput Input, Dictionary<string, string[]> Errors) Read()
    {
        var errors = new Dictionary<string, string[]>();
        var time = new TimeOnly(6, 0);
        if (Recurrence != RecurrenceKind.Cron && !BrowserInput.TryParseTime(Time, out time))
        {
            errors["time"] = ["Enter a time of day: hours and minutes, e.g. 06:30."];
        }
        // Text that is not a number is checked like a missing or out-of-range one: the schedule's rules say what to fix.
        int? hours = BrowserInput.TryParseInt(Hours, out var h) ? h : null;
        var dayOfMonth = BrowserInput.TryParseInt(DayOfMonth, out var d) ? d : 0;
        var input = new ScheduleInput
        {
            Name = Name ?? "",
            Format = Format,
            RangeKind = RangeKind,
            RangeHours = hours,
            Recurrence = Recurrence,
            Time = time,
            Days = [.. Days],
            DayOfMonth = dayOfMonth,
            Cron = Cron,
            TimeZoneId = ZoneId ?? "",
            Destinations = Destinations,
            Team = Team,
        };
        return (input, errors);
    }
}
