using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;

namespace Portal.Schedules;

/// <summary>
/// Follows the runs' exports to their end: a completed run resets the schedule's failures in a row, a failed, timed
/// out or unconfirmed one adds to them, and reaching <see cref="ScheduleOptions.MaxConsecutiveFailures"/> pauses the
/// schedule and tells its owner why (a notice in the bell, like any export's end). As a delivery planner it runs in
/// the transaction that marks the changes published, so each change is counted exactly once whichever instance
/// dispatches it.
/// </summary>
public sealed class ScheduleFailures(IOptions<ScheduleOptions> options) : IDeliveryPlanner
{
    public async Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(changes);
        var ends = changes.Where(c => !c.Deleted && Outcome(c.Status) is not null).ToList();
        if (ends.Count == 0)
        {
            return;
        }
        var ids = ends.Select(c => c.ExportId).Distinct().ToList();
        var runs = await db.ScheduleRuns.Where(r => r.ExportId != null && ids.Contains(r.ExportId.Value) && r.Outcome == null).ToListAsync(cancellationToken);
        if (runs.Count == 0)
        {
            return;
        }
        var scheduleIds = runs.Select(r => r.ScheduleId).Distinct().ToList();
        var schedules = await db.Schedules.Where(s => scheduleIds.Contains(s.Id)).ToDictionaryAsync(s => s.Id, cancellationToken);
        foreach (var change in ends.OrderBy(c => c.EventId))
        {
            // The first end of a run counts; a later one (submitted again after Unconfirmed) does not count twice.
            if (runs.FirstOrDefault(r => r.ExportId == change.ExportId && r.Outcome == null) is not { } run
                || !schedules.TryGetValue(run.ScheduleId, out var schedule))
            {
                continue;
            }
            run.Outcome = Outcome(change.Status);
            switch (run.Outcome)
            {
                case ScheduleRunOutcome.Completed when schedule.ConsecutiveFailures > 0:
                    schedule.ConsecutiveFailures = 0;
                    schedule.UpdatedAt = change.At;
                    schedule.Version++;
                    break;
                case ScheduleRunOutcome.Failed:
                    run.Error = ExportProgress.Truncate($"{change.Status.DisplayName()}: {change.Detail}");
                    Record(db, schedule, run.Error, change.ExportId, change.Status, options.Value.MaxConsecutiveFailures, change.At);
                    break;
            }
        }
    }

    /// <summary>Counts a failed run; the one that reaches <paramref name="max"/> pauses the schedule and tells its owner.</summary>
    internal static void Record(PortalDbContext db, Schedule schedule, string reason, Guid? exportId, ExportStatus status, int max, DateTimeOffset now)
    {
        schedule.ConsecutiveFailures++;
        schedule.UpdatedAt = now;
        schedule.Version++;
        if (schedule.ConsecutiveFailures < max || schedule.PausedAt is not null)
        {
            return;
        }
        var why = ExportProgress.Truncate($"Paused after {schedule.ConsecutiveFailures} failed runs in a row; the last: {reason}");
        schedule.PausedAt = now;
        schedule.PauseReason = why;
        schedule.NextRunAt = null;
        ScheduleService.AddHistory(db, schedule, ExportScheduler.Actor, why, now);
        if (exportId is { } id)
        {
            db.ExportNotices.Add(new ExportNoticeEntry
            {
                ExportId = id,
                OwnerId = schedule.OwnerId,
                Status = status,
                At = now,
                Text = ExportProgress.Truncate($"Schedule \u201c{schedule.Name}\u201d is paused after {schedule.ConsecutiveFailures} failed runs in a row. Resume it once the cause is fixed.", 500),
            });
        }
    }

    private static ScheduleRunOutcome? Outcome(ExportStatus status) => status switch
    {
        ExportStatus.Completed => ScheduleRunOutcome.Completed,
        ExportStatus.Failed or ExportStatus.TimedOut or ExportStatus.Unconfirmed => ScheduleRunOutcome.Failed,
        ExportStatus.Cancelled => ScheduleRunOutcome.Cancelled,
        _ => null,
    };
}
