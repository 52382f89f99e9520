using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Exports;
using Portal.Schedules;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Schedules;

public class ExportSchedulerTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0, int second = 0) => new(2026, month, day, hour, minute, second, TimeSpan.Zero);

    /// <summary>Tests of every-minute schedules lower the minimum interval (an hour by default) to a minute.</summary>
    private static readonly Dictionary<string, string?> EveryMinute = new() { ["Schedules:MinimumInterval"] = "00:01:00" };

    internal static async Task<Guid> CreateAsync(EngineTestHost host, ScheduleInput input, ExportUser? user = null)
    {
        using var scope = host.Services.CreateScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<IScheduleService>().CreateAsync(user ?? EngineTestHost.Alice, input, Cancellation);
        return Assert.IsType<ScheduleOutcome.Saved>(outcome).Schedule.Id;
    }

    internal static async Task<Schedule> ScheduleAsync(EngineTestHost host, Guid id)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.Schedules.Include(s => s.Runs).Include(s => s.History).AsNoTracking().SingleAsync(s => s.Id == id, Cancellation);
    }

    private static async Task<List<ExportRequest>> ScheduledExportsAsync(EngineTestHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportRequests.Where(e => e.ScheduleId != null).AsNoTracking().ToListAsync(Cancellation);
    }

    private static Task<int> PassAsync(EngineTestHost host) => host.Services.GetRequiredService<ExportScheduler>().RunPassAsync(Cancellation);

    [Fact]
    public async Task ADailyScheduleInBerlinRunsEachDayAcrossTheSpringChangeExportingTheZoneDayBefore()
    {
        var time = new FakeTimeProvider(Utc(3, 27, 12));
        await using var host = await EngineTestHost.StartAsync(time: time);
        var id = await CreateAsync(host, new ScheduleInput { Name = "nightly", Time = new TimeOnly(2, 30), TimeZoneId = "Europe/Berlin" });

        foreach (var due in new[] { Utc(3, 28, 1, 30), Utc(3, 29, 1, 0), Utc(3, 30, 0, 30) })
        {
            time.SetUtcNow(due - TimeSpan.FromSeconds(1));
            Assert.Equal(0, await PassAsync(host));
            time.SetUtcNow(due + TimeSpan.FromSeconds(5));
            Assert.Equal(1, await PassAsync(host));
        }

        var schedule = await ScheduleAsync(host, id);
        Assert.Equal([Utc(3, 28, 1, 30), Utc(3, 29, 1, 0), Utc(3, 30, 0, 30)], schedule.Runs.OrderBy(r => r.OccurrenceAt).Select(r => r.OccurrenceAt));
        Assert.Equal(Utc(3, 31, 0, 30), schedule.NextRunAt);
        var exports = (await ScheduledExportsAsync(host)).OrderBy(e => e.RangeFrom).ToList();
        Assert.Equal([TimeSpan.FromHours(24), TimeSpan.FromHours(24), TimeSpan.FromHours(23)], exports.Select(e => e.Range.Span));
        Assert.Equal(Utc(3, 28, 23), exports[2].RangeFrom);
        Assert.All(exports, e => Assert.Equal(ExportStatus.Queued, e.Status));
        Assert.All(exports, e => Assert.Equal(id, e.ScheduleId));
        // Each run is named after its schedule and its range, in the schedule's zone.
        Assert.Equal(["nightly · 27 Mar 00:00 – 28 Mar 00:00", "nightly · 28 Mar 00:00 – 29 Mar 00:00", "nightly · 29 Mar 00:00 – 30 Mar 00:00"],
            exports.Select(e => e.Name));
        // The scheduler only queues; the tracker sends the POST.
        Assert.Equal(0, host.Upstream.Posts);
    }

    [Fact]
    public async Task TwoSchedulersOnOneDatabaseCreateEachOccurrenceOnce()
    {
        var time = new FakeTimeProvider(Utc(11, 20, 10, 0, 30));
        var file = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"), "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using var a = await EngineTestHost.StartAsync(settings: EveryMinute, time: time, databaseFile: file);
        await using var b = await EngineTestHost.StartAsync(settings: EveryMinute, time: time, databaseFile: file);
        for (var i = 0; i < 8; i++)
        {
            await CreateAsync(a, new ScheduleInput
            {
                Name = $"every minute {i}", Recurrence = RecurrenceKind.Cron, Cron = "* * * * *",
                RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "UTC",
            });
        }

        var created = 0;
        for (var minute = 1; minute <= 3; minute++)
        {
            time.SetUtcNow(Utc(11, 20, 10, minute, 10));
            var passes = await Task.WhenAll(PassAsync(a), PassAsync(b), PassAsync(a), PassAsync(b));
            created += passes.Sum();
        }

        var exports = await ScheduledExportsAsync(a);
        Assert.Equal(24, exports.Count);
        Assert.Equal(24, created);
        await using var db = await a.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var runs = await db.ScheduleRuns.AsNoTracking().ToListAsync(Cancellation);
        Assert.Equal(24, runs.Count);
        Assert.Equal(24, runs.Select(r => (r.ScheduleId, r.OccurrenceAt)).Distinct().Count());
        Assert.Equal(exports.Select(e => e.Id).Order(), runs.Select(r => r.ExportId!.Value).Order());
    }

    [Fact]
    public async Task AnEveryMinuteScheduleStoredBeforeTheMinimumRunsNoMoreOftenThanTheMinimum()
    {
        var time = new FakeTimeProvider(Utc(11, 20, 10, 0, 30));
        var file = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"), "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        Guid id;
        await using (var before = await EngineTestHost.StartAsync(settings: EveryMinute, time: time, databaseFile: file))
        {
            id = await CreateAsync(before, new ScheduleInput
            {
                Name = "every minute", Recurrence = RecurrenceKind.Cron, Cron = "* * * * *", RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "UTC",
            });
        }
        await using var host = await EngineTestHost.StartAsync(time: time, databaseFile: file);

        var created = 0;
        for (var minute = 1; minute <= 90; minute++)
        {
            time.SetUtcNow(Utc(11, 20, 10, 0, 5).AddMinutes(minute));
            created += await PassAsync(host);
        }

        var schedule = await ScheduleAsync(host, id);
        Assert.Equal(2, created);
        Assert.Equal([Utc(11, 20, 10, 1), Utc(11, 20, 11, 1)], schedule.Runs.Select(r => r.OccurrenceAt).Order());
        Assert.Equal(Utc(11, 20, 12, 1), schedule.NextRunAt);
    }

    [Fact]
    public async Task ARunPastTheOwnersDailyAllowanceIsRecordedAsFailedWithTheReasonAndDoesNotPauseTheSchedule()
    {
        var time = new FakeTimeProvider(Utc(11, 20, 10, 0, 30));
        await using var host = await EngineTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Exports:DailyAllowancePerUser"] = "1" }, time: time);
        var id = await CreateAsync(host, new ScheduleInput
        {
            Name = "hourly", Recurrence = RecurrenceKind.Cron, Cron = "0 * * * *", RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "UTC",
        });
        var byHand = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(now: time.GetUtcNow()), FileFormat.Csv, Cancellation);

        time.SetUtcNow(Utc(11, 20, 11, 0, 5));
        await PassAsync(host);

        var schedule = await ScheduleAsync(host, id);
        Assert.IsType<SubmitOutcome.Accepted>(byHand);
        var run = Assert.Single(schedule.Runs);
        Assert.Equal(((ScheduleRunOutcome?)ScheduleRunOutcome.Failed, (Guid?)null), (run.Outcome, run.ExportId));
        Assert.Contains("used your 1 exports for today", run.Error, StringComparison.Ordinal);
        Assert.Contains("resets at 2026-11-21 00:00 UTC", run.Error, StringComparison.Ordinal);
        Assert.Contains(schedule.History, h => h.Text.Contains("was not run", StringComparison.Ordinal));
        Assert.Empty(await ScheduledExportsAsync(host));
        Assert.Null(schedule.PausedAt);
        Assert.Equal(Utc(11, 20, 12), schedule.NextRunAt);
    }

    [Fact]
    public async Task ThePortalDownForThreeSlotsRunsOneCatchUpAndTheHistorySaysSo()
    {
        var time = new FakeTimeProvider(Utc(11, 20, 10, 5));
        await using var host = await EngineTestHost.StartAsync(time: time);
        var id = await CreateAsync(host, new ScheduleInput
        {
            Name = "hourly", Recurrence = RecurrenceKind.Cron, Cron = "0 * * * *", RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "Europe/Berlin",
        });

        // Down from 10:05 to 13:30: the slots at 11:00, 12:00 and 13:00 passed without a scheduler.
        time.SetUtcNow(Utc(11, 20, 13, 30));
        Assert.Equal(1, await PassAsync(host));
        Assert.Equal(0, await PassAsync(host));

        var schedule = await ScheduleAsync(host, id);
        var run = Assert.Single(schedule.Runs);
        Assert.Equal(Utc(11, 20, 13), run.OccurrenceAt);
        Assert.Equal(Utc(11, 20, 14), schedule.NextRunAt);
        var export = Assert.Single(await ScheduledExportsAsync(host));
        Assert.Equal((Utc(11, 20, 12), Utc(11, 20, 13)), (export.RangeFrom, export.RangeTo));
        Assert.Contains(schedule.History, h => h.Text.StartsWith("3 runs were due from 2026-11-20 12:00 to 2026-11-20 14:00", StringComparison.Ordinal)
            && h.Text.Contains("ran once", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AScheduleWhoseRunsFailThreeTimesInARowPausesItselfAndTellsItsOwnerWhy()
    {
        var time = TestClock.New();
        var upstream = new StubUpstream { PostFallback = _ => StubUpstream.Problem(HttpStatusCode.UnprocessableEntity, "The device fleet is being migrated.") };
        await using var host = await EngineTestHost.StartAsync(upstream, EveryMinute, time: time);
        var id = await CreateAsync(host, new ScheduleInput
        {
            Name = "flaky", Recurrence = RecurrenceKind.Cron, Cron = "* * * * *", RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "UTC",
        });

        for (var run = 1; run <= 3; run++)
        {
            Assert.Null((await ScheduleAsync(host, id)).PausedAt);
            time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(1, await PassAsync(host));
            await host.TrackAsync();
            await host.DispatchAsync();
            Assert.Equal(run, (await ScheduleAsync(host, id)).ConsecutiveFailures);
        }

        var schedule = await ScheduleAsync(host, id);
        Assert.NotNull(schedule.PausedAt);
        Assert.Null(schedule.NextRunAt);
        Assert.StartsWith("Paused after 3 failed runs in a row; the last: Failed:", schedule.PauseReason, StringComparison.Ordinal);
        Assert.All(schedule.Runs, r => Assert.Equal(ScheduleRunOutcome.Failed, r.Outcome));
        Assert.Contains(schedule.History, h => h.Text == schedule.PauseReason);
        var notices = await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation);
        Assert.Contains(notices, n => n.Text.Contains("\u201cflaky\u201d is paused after 3 failed runs in a row", StringComparison.Ordinal));
        // Paused: no further runs.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await PassAsync(host));
    }

    [Fact]
    public async Task ACompletedRunResetsTheFailuresInARow()
    {
        var time = TestClock.New();
        var upstream = new StubUpstream { PostFallback = _ => StubUpstream.Problem(HttpStatusCode.UnprocessableEntity, "Not today.") };
        await using var host = await EngineTestHost.StartAsync(upstream, EveryMinute, time: time);
        var id = await CreateAsync(host, new ScheduleInput
        {
            Name = "recovering", Recurrence = RecurrenceKind.Cron, Cron = "* * * * *", RangeKind = ScheduleRangeKind.LastHours, RangeHours = 1, TimeZoneId = "UTC",
        });
        for (var run = 1; run <= 2; run++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await PassAsync(host);
            await host.TrackAsync();
            await host.DispatchAsync();
        }
        Assert.Equal(2, (await ScheduleAsync(host, id)).ConsecutiveFailures);

        var uuid = Guid.NewGuid().ToString();
        upstream.PostFallback = _ => StubUpstream.Accepted(uuid);
        upstream.GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed(uuid, time.GetUtcNow().AddHours(1)));
        time.Advance(TimeSpan.FromMinutes(1));
        await PassAsync(host);
        await host.TrackAsync();
        time.Advance(TimeSpan.FromSeconds(30));
        await host.TrackAsync();
        await host.DispatchAsync();

        var schedule = await ScheduleAsync(host, id);
        Assert.Equal(0, schedule.ConsecutiveFailures);
        Assert.Null(schedule.PausedAt);
        Assert.Equal(ScheduleRunOutcome.Completed, schedule.Runs.OrderBy(r => r.OccurrenceAt).Last().Outcome);
    }
}
