using System.Globalization;
using Cronos;
using Portal.Data;
using Portal.Exports;

namespace Portal.Schedules;

/// <summary>
/// When a schedule runs and what each run exports, in the schedule's time zone. Pure functions of their arguments:
/// Cronos handles the daylight-saving changes (a run in the hour the clocks skip happens when they jump, one in the
/// hour they repeat happens once).
/// </summary>
public static class ScheduleClock
{
    public static TimeZoneInfo? FindZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }
        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : null;
    }

    /// <summary>The zone's IANA id, so a zone the browser named in Windows' words is stored the same way.</summary>
    public static string IanaId(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        return zone.HasIanaId || !TimeZoneInfo.TryConvertWindowsIdToIanaId(zone.Id, out var iana) ? zone.Id : iana;
    }

    public static CronExpression Parse(string cron) => CronExpression.Parse(cron, CronFormat.Standard);

    /// <summary>The first run after <paramref name="after"/>; null when the expression never runs again.</summary>
    public static DateTimeOffset? NextRun(CronExpression cron, TimeZoneInfo zone, DateTimeOffset after)
    {
        ArgumentNullException.ThrowIfNull(cron);
        return cron.GetNextOccurrence(after, zone)?.ToUniversalTime();
    }

    /// <summary>The next <paramref name="count"/> runs after <paramref name="after"/>.</summary>
    public static IReadOnlyList<DateTimeOffset> NextRuns(CronExpression cron, TimeZoneInfo zone, DateTimeOffset after, int count)
    {
        ArgumentNullException.ThrowIfNull(cron);
        var runs = new List<DateTimeOffset>(count);
        var from = after;
        while (runs.Count < count && cron.GetNextOccurrence(from, zone) is { } next)
        {
            runs.Add(next.ToUniversalTime());
            from = next;
        }
        return runs;
    }

    /// <summary>
    /// The occurrences due at <paramref name="now"/> from <paramref name="firstDue"/> on: how many there are (counted up
    /// to <paramref name="countUpTo"/>) and the latest, which is the one that runs.
    /// </summary>
    public static (int Count, DateTimeOffset? Latest) Due(CronExpression cron, TimeZoneInfo zone, DateTimeOffset firstDue, DateTimeOffset now, int countUpTo = 100_000)
    {
        ArgumentNullException.ThrowIfNull(cron);
        if (firstDue > now)
        {
            return (0, null);
        }
        var count = 0;
        DateTimeOffset? latest = null;
        // From just before the first due slot, not inclusive of it: a slot in the hour the clocks skip is found only
        // when the search starts before the jump.
        foreach (var occurrence in cron.GetOccurrences(firstDue.AddTicks(-1), now, zone, fromInclusive: false, toInclusive: true))
        {
            count++;
            latest = occurrence;
            if (count >= countUpTo)
            {
                // Counting further tells the owner nothing more; the latest slot is still the one before now.
                latest = cron.GetPreviousOccurrence(now, zone, inclusive: true) ?? occurrence;
                break;
            }
        }
        return (count, latest?.ToUniversalTime());
    }

    /// <summary>The range a run at <paramref name="occurrence"/> exports; days and months are the zone's.</summary>
    public static TimeRange RangeFor(ScheduleRangeKind kind, int? hours, DateTimeOffset occurrence, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(occurrence, zone).DateTime);
        return kind switch
        {
            ScheduleRangeKind.PreviousDay => new TimeRange(StartOfDay(today.AddDays(-1), zone), StartOfDay(today, zone)),
            ScheduleRangeKind.Previous7Days => new TimeRange(StartOfDay(today.AddDays(-7), zone), StartOfDay(today, zone)),
            ScheduleRangeKind.PreviousMonth => new TimeRange(
                StartOfDay(new DateOnly(today.Year, today.Month, 1).AddMonths(-1), zone),
                StartOfDay(new DateOnly(today.Year, today.Month, 1), zone)),
            ScheduleRangeKind.LastHours => new TimeRange(occurrence - TimeSpan.FromHours(hours ?? 1), occurrence),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>The first instant of a zone day; where the clocks skip midnight, the first local time that exists.</summary>
    public static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }
        // An ambiguous midnight (clocks set back over it) starts at its first occurrence: the earlier offset.
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    public static string DescribeRange(ScheduleRangeKind kind, int? hours) => kind switch
    {
        ScheduleRangeKind.PreviousDay => "the previous day",
        ScheduleRangeKind.Previous7Days => "the previous 7 days",
        ScheduleRangeKind.PreviousMonth => "the previous calendar month",
        ScheduleRangeKind.LastHours => hours == 1 ? "the last hour" : string.Create(CultureInfo.InvariantCulture, $"the last {hours} hours"),
        _ => kind.ToString(),
    };

    /// <summary>How a recurrence reads: <c>Daily at 06:30</c>, <c>Weekly on Mon, Fri at 06:30</c>, <c>Cron 0 * * * *</c>.</summary>
    public static string DescribeRecurrence(RecurrenceKind kind, string cron)
    {
        if (kind == RecurrenceKind.Cron)
        {
            return $"Cron {cron}";
        }
        var input = ScheduleInput.From(new Schedule { Recurrence = kind, Cron = cron });
        var at = input.Time.ToString("HH:mm", CultureInfo.InvariantCulture);
        return kind switch
        {
            RecurrenceKind.Daily => $"Daily at {at}",
            RecurrenceKind.Weekly => $"Weekly on {string.Join(", ", input.Days.Select(d => CultureInfo.InvariantCulture.DateTimeFormat.GetAbbreviatedDayName(d)))} at {at}",
            RecurrenceKind.Monthly => string.Create(CultureInfo.InvariantCulture, $"Monthly on day {input.DayOfMonth} at {at}"),
            _ => cron,
        };
    }
}
