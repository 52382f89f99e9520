using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Schedules;

/// <summary>
/// Turns due occurrences into export requests. For each active schedule whose <see cref="Schedule.NextRunAt"/> has
/// come, it stores the run row and its <c>Queued</c> request in one transaction; the tracker sends the POST, never this
/// class. The run's unique key <c>(ScheduleId, OccurrenceAt)</c> and the schedule's version make a second instance's
/// insert fail harmlessly. Slots missed while no instance ran (a restart, an outage) are caught up once: one run for the
/// latest, and a history entry that says how many were missed.
/// </summary>
public sealed partial class ExportScheduler(
    IDbContextFactory<PortalDbContext> dbFactory,
    TrackerSignal tracker,
    IExportOutbox outbox,
    DatabaseOutage outage,
    TimeProvider time,
    IOptions<ScheduleOptions> options,
    IOptions<ExportsOptions> exportsOptions,
    ILogger<ExportScheduler> logger) : BackgroundService
{
    /// <summary>Who acts on a schedule's history when no person does.</summary>
    public const string Actor = ExportSubmissions.ScheduledActor;

    private const int MaxPerPass = 100;

    /// <summary>A run this much later than its slot was missed, not just picked up at the next check.</summary>
    private static readonly TimeSpan Late = TimeSpan.FromMinutes(1);

    // This instance only: a schedule saved on another instance is seen at the next check.
    private readonly TrackerSignal wake = new([]);

    /// <summary>A schedule was saved: look now rather than at the next interval.</summary>
    public void Wake() => wake.Wake();

    /// <summary>Runs every occurrence due now; returns how many runs this instance created.</summary>
    public async Task<int> RunPassAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<Guid> due;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            due = await db.Schedules.Where(s => s.PausedAt == null && s.NextRunAt != null && s.NextRunAt <= now)
                .OrderBy(s => s.NextRunAt).Select(s => s.Id).Take(MaxPerPass).ToListAsync(cancellationToken);
        }
        var created = 0;
        foreach (var id in due)
        {
            try
            {
                if (await RunDueAsync(id, now, cancellationToken))
                {
                    created++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
            {
                // One schedule's problem does not hold up the others; it is still due at the next pass.
                LogRunFailed(logger, id, ex);
            }
        }
        if (created > 0)
        {
            tracker.Wake();
            outbox.Wake();
        }
        return created;
    }

    private async Task<bool> RunDueAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var schedule = await db.Schedules.SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is not { PausedAt: null, NextRunAt: { } firstDue } || firstDue > now)
        {
            return false;
        }
        var zone = ScheduleClock.FindZone(schedule.TimeZoneId);
        if (zone is null)
        {
            Pause(db, schedule, $"Paused: its time zone '{schedule.TimeZoneId}' is not known on this server. Edit it to choose another.", now);
            await SaveAsync(db, cancellationToken);
            return false;
        }
        var cron = ScheduleClock.Parse(schedule.Cron);
        var (missed, latest) = ScheduleClock.Due(cron, zone, firstDue, now);
        if (latest is not { } occurrence)
        {
            // The stored next run is not an occurrence (the expression changed meanwhile): recompute it.
            schedule.NextRunAt = ScheduleClock.NextRun(cron, zone, now);
            await SaveAsync(db, cancellationToken);
            return false;
        }
        var minimum = options.Value.MinimumInterval;
        if (schedule.LastRunAt is { } last && occurrence - last < minimum)
        {
            // A schedule stored before the minimum was set (or raised) runs no more often than the minimum.
            schedule.NextRunAt = ScheduleClock.NextRun(cron, zone, last + minimum - TimeSpan.FromTicks(1));
            schedule.UpdatedAt = now;
            schedule.Version++;
            await SaveAsync(db, cancellationToken);
            return false;
        }

        var run = new ScheduleRun { ScheduleId = schedule.Id, OccurrenceAt = occurrence, CreatedAt = now };
        db.ScheduleRuns.Add(run);
        if (missed > 1)
        {
            ScheduleService.AddHistory(db, schedule, Actor,
                $"{missed} runs were due from {Local(firstDue, zone)} to {Local(occurrence, zone)} while the portal was not running: ran once, for {Local(occurrence, zone)}.",
                now);
        }
        else if (now - occurrence > Late)
        {
            ScheduleService.AddHistory(db, schedule, Actor, $"The run due at {Local(occurrence, zone)} was missed while the portal was not running: ran it late.", now);
        }

        var owner = new ExportUser(schedule.OwnerId, schedule.OwnerName, schedule.OwnerEmail, IsAdmin: false);
        var range = ScheduleClock.RangeFor(schedule.RangeKind, schedule.RangeHours, occurrence, zone);
        // The owner's daily allowance is counted and the run stored in one transaction that holds the owner, as a page's submission is.
        await using var transaction = await db.BeginForUserAsync(owner.Id, cancellationToken);
        var outcome = await ExportSubmissions.AddScheduledAsync(db, owner, range, schedule.Format, ExportNames.ForSchedule(schedule.Name, range, zone), schedule.Id,
            $"Requested by schedule \u201c{schedule.Name}\u201d for its run at {Local(occurrence, zone)} ({schedule.TimeZoneId}).", now, exportsOptions.Value,
            schedule.DestinationIds, schedule.Team, cancellationToken);
        switch (outcome)
        {
            case SubmitOutcome.Accepted accepted:
                run.ExportId = accepted.Export.Id;
                break;
            case SubmitOutcome.AllowanceUsedUp usedUp:
                // Not the schedule's fault: recorded as a failed run with the reason, without counting towards pausing it.
                run.Outcome = ScheduleRunOutcome.Failed;
                run.Error = ExportProgress.Truncate("Not run: " + usedUp.Allowance.Message);
                ScheduleService.AddHistory(db, schedule, Actor, $"The run due at {Local(occurrence, zone)} was not run: {usedUp.Allowance.Message}", now);
                break;
            case SubmitOutcome.Invalid invalid:
                run.Outcome = ScheduleRunOutcome.Failed;
                run.Error = ExportProgress.Truncate("The export could not be created: " + string.Join(" ", invalid.Errors.Values.SelectMany(m => m)));
                ScheduleFailures.Record(db, schedule, run.Error, exportId: null, status: ExportStatus.Failed, options.Value.MaxConsecutiveFailures, now);
                break;
        }
        schedule.LastRunAt = occurrence;
        if (schedule.PausedAt is null)
        {
            schedule.NextRunAt = ScheduleClock.NextRun(cron, zone, occurrence + minimum - TimeSpan.FromTicks(1));
        }
        schedule.UpdatedAt = now;
        schedule.Version++;
        if (!await SaveAsync(db, cancellationToken))
        {
            return false;
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>False when another instance (or a user's edit) got there first: its write stands, this one is dropped.</summary>
    private async Task<bool> SaveAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
        catch (DbUpdateException ex) when (ex.InnerException is Microsoft.Data.Sqlite.SqliteException or System.Data.Common.DbException && !DatabaseErrors.IsUnavailable(ex))
        {
            // The occurrence's run exists already: the unique key did its work.
            LogAlreadyRun(logger, ex.InnerException.Message);
            return false;
        }
    }

    private static void Pause(PortalDbContext db, Schedule schedule, string reason, DateTimeOffset now)
    {
        schedule.PausedAt = now;
        schedule.PauseReason = reason;
        schedule.NextRunAt = null;
        schedule.UpdatedAt = now;
        schedule.Version++;
        ScheduleService.AddHistory(db, schedule, Actor, reason, now);
    }

    private static string Local(DateTimeOffset instant, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(instant, zone).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPassAsync(stoppingToken);
                outage.Succeeded("the scheduler");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database away ends the pass (the rest would fail the same way) and is logged once per outage;
                // nothing was stored, so what was due is still due and runs once when the database is back.
                if (!outage.Failed(ex, "the scheduler"))
                {
                    LogPassFailed(logger, ex);
                }
            }
            try
            {
                await wake.WaitAsync(options.Value.CheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Running the due occurrence of schedule {ScheduleId} failed; it stays due")]
    private static partial void LogRunFailed(ILogger logger, Guid scheduleId, Exception ex);

    [LoggerMessage(LogLevel.Error, "A scheduler pass failed; retrying after the check interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Debug, "An occurrence was already run by another instance: {Reason}")]
    private static partial void LogAlreadyRun(ILogger logger, string reason);
}
