using Portal.Data;
using Portal.Exports;
using Portal.Schedules;

namespace Portal.Tests.Schedules;

public class ScheduleClockTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void ADailyRunAtHalfPastTwoHappensWhenTheClocksJumpInSpringAndOnceWhenTheyRepeatInAutumn()
    {
        var daily = ScheduleClock.Parse("30 2 * * *");

        // 29 March 2026: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist that night.
        Assert.Equal([Utc(3, 28, 1, 30), Utc(3, 29, 1, 0), Utc(3, 30, 0, 30)], ScheduleClock.NextRuns(daily, Berlin, Utc(3, 27, 12), 3));
        // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice; the run happens once, at the first.
        Assert.Equal([Utc(10, 24, 0, 30), Utc(10, 25, 0, 30), Utc(10, 26, 1, 30)], ScheduleClock.NextRuns(daily, Berlin, Utc(10, 23, 12), 3));
    }

    [Fact]
    public void WeeklyRunsKeepTheirLocalTimeAcrossTheAutumnChange()
    {
        var input = new ScheduleInput { Name = "weekly", Recurrence = RecurrenceKind.Weekly, Time = new TimeOnly(8, 0), Days = [DayOfWeek.Friday, DayOfWeek.Monday], TimeZoneId = "Europe/Berlin" };
        var definition = ScheduleDefinition.Check(input, new ExportsOptions(), Utc(10, 20, 0));

        Assert.True(definition.IsValid);
        Assert.Equal("0 8 * * 1,5", definition.Cron);
        var runs = ScheduleClock.NextRuns(definition.Expression!, Berlin, Utc(10, 20, 0), 4);
        Assert.Equal([Utc(10, 23, 6), Utc(10, 26, 7), Utc(10, 30, 7), Utc(11, 2, 7)], runs);
        Assert.All(runs, r => Assert.Equal(8, TimeZoneInfo.ConvertTime(r, Berlin).Hour));
    }

    [Fact]
    public void ThePreviousDayIsTheZoneDayAndLasts23HoursAfterTheSpringChange()
    {
        var range = ScheduleClock.RangeFor(ScheduleRangeKind.PreviousDay, null, Utc(3, 30, 4), Berlin);

        Assert.Equal(Utc(3, 28, 23), range.From);
        Assert.Equal(Utc(3, 29, 22), range.To);
        Assert.Equal(TimeSpan.FromHours(23), range.Span);
    }

    [Fact]
    public void ThePreviousMonthAndThePrevious7DaysAreCalendarSpansOfTheZone()
    {
        var november = Utc(11, 1, 5);

        var month = ScheduleClock.RangeFor(ScheduleRangeKind.PreviousMonth, null, november, Berlin);
        var week = ScheduleClock.RangeFor(ScheduleRangeKind.Previous7Days, null, november, Berlin);
        var hours = ScheduleClock.RangeFor(ScheduleRangeKind.LastHours, 6, november, Berlin);

        Assert.Equal((Utc(9, 30, 22), Utc(10, 31, 23)), (month.From, month.To));
        Assert.Equal((Utc(10, 24, 22), Utc(10, 31, 23)), (week.From, week.To));
        Assert.Equal((Utc(10, 31, 23), november), (hours.From, hours.To));
    }

    [Fact]
    public void AnInvalidCronExpressionOrZoneIsRefusedWithAMessageForItsField()
    {
        var input = new ScheduleInput { Name = "x", Recurrence = RecurrenceKind.Cron, Cron = "61 * * * *", TimeZoneId = "Mars/Olympus" };

        var definition = ScheduleDefinition.Check(input, new ExportsOptions(), Utc(1, 1, 0));

        Assert.False(definition.IsValid);
        Assert.Contains("five fields", Assert.Single(definition.Errors["cron"]), StringComparison.Ordinal);
        Assert.Contains("Mars/Olympus", Assert.Single(definition.Errors["timeZoneId"]), StringComparison.Ordinal);
    }

    [Fact]
    public void TheFormReadsBackWhatItStored()
    {
        var input = new ScheduleInput { Name = "monthly", Recurrence = RecurrenceKind.Monthly, Time = new TimeOnly(7, 45), DayOfMonth = 3, TimeZoneId = "Europe/Berlin" };
        var definition = ScheduleDefinition.Check(input, new ExportsOptions(), Utc(1, 1, 0));

        var back = ScheduleInput.From(new Schedule { Name = "monthly", Recurrence = RecurrenceKind.Monthly, Cron = definition.Cron, TimeZoneId = "Europe/Berlin" });

        Assert.Equal((new TimeOnly(7, 45), 3), (back.Time, back.DayOfMonth));
        Assert.Equal("Monthly on day 3 at 07:45", ScheduleClock.DescribeRecurrence(RecurrenceKind.Monthly, definition.Cron));
    }
}
