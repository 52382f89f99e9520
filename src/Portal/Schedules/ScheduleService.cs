using System.Globalization;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Schedules;

/// <summary>A user's schedules: list, read, create, edit, pause, resume, delete, and the preview of the next runs.</summary>
public interface IScheduleService
{
    /// <summary>The user's schedules; an admin's are everyone's.</summary>
    Task<IReadOnlyList<ScheduleSummary>> ListAsync(ExportUser user, CancellationToken cancellationToken = default);

    /// <summary>Null when not found or not the user's.</summary>
    Task<ScheduleDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> CreateAsync(ExportUser user, ScheduleInput input, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> UpdateAsync(ExportUser user, Guid id, ScheduleInput input, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> PauseAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> ResumeAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>False when not found. The runs' exports stay in the history.</summary>
    Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>The next <paramref name="count"/> runs of <paramref name="input"/> from now (when its recurrence and zone are valid), and its errors.</summary>
    (IReadOnlyList<DateTimeOffset> Runs, IReadOnlyDictionary<string, string[]> Errors) Preview(ScheduleInput input, int count = 3);
}

/// <summary>
/// Owner-or-admin scoping as for exports: another user's schedule is "not found" (and audited); an admin may act on
/// any. Every write is guarded by the schedule's version, so a user's edit and the scheduler never overwrite each other.
/// </summary>
public sealed class ScheduleService(
    IDbContextFactory<PortalDbContext> dbFactory,
    ExportScheduler scheduler,
    AuditLog audit,
    TimeProvider time,
    IOptions<ScheduleOptions> options,
    IOptions<ExportsOptions> exportsOptions) : IScheduleService
{
    private const int RunsShown = 50;
    private const int HistoryShown = 100;

    public async Task<IReadOnlyList<ScheduleSummary>> ListAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await VisibleTo(db.Schedules, user).OrderBy(s => s.Name).ThenBy(s => s.CreatedAt).Select(ToSummary).ToListAsync(cancellationToken);
    }

    public async Task<ScheduleDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var summary = await VisibleTo(db.Schedules, user).Where(s => s.Id == id).Select(ToSummary).SingleOrDefaultAsync(cancellationToken);
        if (summary is null)
        {
            await NotFoundAsync(db, user, id, "Read", cancellationToken);
            return null;
        }
        var runs = await db.ScheduleRuns.Where(r => r.ScheduleId == id)
            .OrderByDescending(r => r.OccurrenceAt).Take(RunsShown)
            .Select(r => new ScheduleRunInfo(r.OccurrenceAt, r.CreatedAt, r.ExportId,
                db.ExportRequests.Where(e => e.Id == r.ExportId).Select(e => (ExportStatus?)e.Status).FirstOrDefault(), r.Outcome, r.Error))
            .ToListAsync(cancellationToken);
        var history = await db.ScheduleHistory.Where(h => h.ScheduleId == id)
            .OrderByDescending(h => h.At).ThenByDescending(h => h.Id).Take(HistoryShown)
            .Select(h => new ScheduleHistoryInfo(h.At, h.Actor, h.Text))
            .ToListAsync(cancellationToken);
        return new ScheduleDetails(summary, runs, history);
    }

    public async Task<ScheduleOutcome> CreateAsync(ExportUser user, ScheduleInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        var definition = ScheduleDefinition.Check(input, exportsOptions.Value, now, options.Value.MinimumInterval);
        if (!definition.IsValid)
        {
            return new ScheduleOutcome.Invalid(definition.Errors);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destinationErrors = await ExportDeliveries.CheckAsync(db, user.Id, input.Destinations, cancellationToken);
        if (destinationErrors.Count > 0)
        {
            return new ScheduleOutcome.Invalid(destinationErrors);
        }
        var max = options.Value.MaxPerUser;
        if (await db.Schedules.CountAsync(s => s.OwnerId == user.Id, cancellationToken) >= max)
        {
            return new ScheduleOutcome.Invalid(new Dictionary<string, string[]>
            {
                ["name"] = [$"You have {max} schedules, the most one user may have: delete one you no longer need first."],
            });
        }
        var schedule = new Schedule
        {
            Id = Guid.CreateVersion7(now),
            OwnerId = user.Id,
            OwnerName = user.Name,
            OwnerEmail = user.Email,
            CreatedAt = now,
        };
        Apply(schedule, input, definition, now);
        db.Schedules.Add(schedule);
        AddHistory(db, schedule, user.Name, $"Created: {Describe(schedule)}.", now);
        await db.SaveChangesAsync(cancellationToken);
        scheduler.Wake();
        return new ScheduleOutcome.Saved(Summarize(schedule));
    }

    public async Task<ScheduleOutcome> UpdateAsync(ExportUser user, Guid id, ScheduleInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(input);
        var now = time.GetUtcNow();
        var definition = ScheduleDefinition.Check(input, exportsOptions.Value, now, options.Value.MinimumInterval);
        if (!definition.IsValid)
        {
            return new ScheduleOutcome.Invalid(definition.Errors);
        }
        if (input.Destinations.Count > 0)
        {
            // The owner's destinations, also when an admin edits another user's schedule.
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var owner = await VisibleTo(db.Schedules, user).Where(s => s.Id == id).Select(s => s.OwnerId).SingleOrDefaultAsync(cancellationToken);
            var destinationErrors = owner is null ? new Dictionary<string, string[]>() : await ExportDeliveries.CheckAsync(db, owner, input.Destinations, cancellationToken);
            if (destinationErrors.Count > 0)
            {
                return new ScheduleOutcome.Invalid(destinationErrors);
            }
        }
        return await ChangeAsync(user, id, "Edit", (db, schedule) =>
        {
            Apply(schedule, input, definition, now);
            AddHistory(db, schedule, user.Name, $"Edited: {Describe(schedule)}.", now);
            return true;
        }, cancellationToken);
    }

    public Task<ScheduleOutcome> PauseAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        ChangeAsync(user, id, "Pause", (db, schedule) =>
        {
            if (schedule.PausedAt is not null)
            {
                return false;
            }
            var now = time.GetUtcNow();
            schedule.PausedAt = now;
            schedule.PauseReason = schedule.OwnerId == user.Id ? $"Paused by {user.Name}." : $"Paused by {user.Name} (admin).";
            schedule.NextRunAt = null;
            AddHistory(db, schedule, user.Name, schedule.PauseReason, now);
            return true;
        }, cancellationToken);

    public Task<ScheduleOutcome> ResumeAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) =>
        ChangeAsync(user, id, "Resume", (db, schedule) =>
        {
            if (schedule.PausedAt is null)
            {
                return false;
            }
            var now = time.GetUtcNow();
            schedule.PausedAt = null;
            schedule.PauseReason = null;
            schedule.ConsecutiveFailures = 0;
            // Slots that fell in the pause are skipped, not caught up: pausing means "not now".
            schedule.NextRunAt = NextAfter(schedule, now);
            AddHistory(db, schedule, user.Name, "Resumed.", now);
            return true;
        }, cancellationToken);

    public async Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var schedule = await VisibleTo(db.Schedules, user).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is null)
        {
            await NotFoundAsync(db, user, id, "Delete", cancellationToken);
            return false;
        }
        // Runs and history go with it; the exports it created stay, unlinked (the key is set null).
        db.Schedules.Remove(schedule);
        await db.SaveChangesAsync(cancellationToken);
        Acted(user, schedule.OwnerId, "Delete", id);
        return true;
    }

    public (IReadOnlyList<DateTimeOffset> Runs, IReadOnlyDictionary<string, string[]> Errors) Preview(ScheduleInput input, int count = 3)
    {
        var now = time.GetUtcNow();
        var definition = ScheduleDefinition.Check(input, exportsOptions.Value, now, options.Value.MinimumInterval);
        return definition is { Expression: { } cron, Zone: { } zone }
            ? (ScheduleClock.NextRuns(cron, zone, now, count), definition.Errors)
            : ([], definition.Errors);
    }

    private async Task<ScheduleOutcome> ChangeAsync(ExportUser user, Guid id, string action, Func<PortalDbContext, Schedule, bool> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var schedule = await VisibleTo(db.Schedules, user).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (schedule is null)
        {
            await NotFoundAsync(db, user, id, action, cancellationToken);
            return new ScheduleOutcome.NotFound();
        }
        if (change(db, schedule))
        {
            schedule.UpdatedAt = time.GetUtcNow();
            schedule.Version++;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return new ScheduleOutcome.Conflict();
            }
            Acted(user, schedule.OwnerId, action, id);
            scheduler.Wake();
        }
        return new ScheduleOutcome.Saved(Summarize(schedule));
    }

    private static void Apply(Schedule schedule, ScheduleInput input, ScheduleDefinition definition, DateTimeOffset now)
    {
        schedule.Name = input.Name.Trim();
        schedule.Format = input.Format;
        schedule.RangeKind = input.RangeKind;
        schedule.RangeHours = input.RangeKind == ScheduleRangeKind.LastHours ? input.RangeHours : null;
        schedule.Recurrence = input.Recurrence;
        schedule.Cron = definition.Cron;
        schedule.TimeZoneId = ScheduleClock.IanaId(definition.Zone!);
        schedule.Destinations = string.Join(' ', input.Destinations.Distinct());
        schedule.UpdatedAt = now;
        if (schedule.PausedAt is null)
        {
            schedule.NextRunAt = ScheduleClock.NextRun(definition.Expression!, definition.Zone!, now);
        }
    }

    internal static DateTimeOffset? NextAfter(Schedule schedule, DateTimeOffset after) =>
        ScheduleClock.FindZone(schedule.TimeZoneId) is { } zone
            ? ScheduleClock.NextRun(ScheduleClock.Parse(schedule.Cron), zone, after)
            : null;

    private static string Describe(Schedule schedule) =>
        $"{ScheduleClock.DescribeRecurrence(schedule.Recurrence, schedule.Cron)} ({schedule.TimeZoneId}), {ScheduleClock.DescribeRange(schedule.RangeKind, schedule.RangeHours)}, {schedule.Format.ApiName()}";

    internal static void AddHistory(PortalDbContext db, Schedule schedule, string actor, string text, DateTimeOffset now) =>
        db.ScheduleHistory.Add(new ScheduleHistoryEntry
        {
            ScheduleId = schedule.Id,
            At = now,
            Actor = actor,
            Text = ExportProgress.Truncate(text),
        });

    private static IQueryable<Schedule> VisibleTo(IQueryable<Schedule> schedules, ExportUser user) =>
        user.IsAdmin ? schedules : schedules.Where(s => s.OwnerId == user.Id);

    private async Task NotFoundAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        if (!user.IsAdmin && await db.Schedules.AnyAsync(s => s.Id == id, cancellationToken))
        {
            audit.AccessDenied(user.Id, $"{operation} schedule {id}");
        }
    }

    private void Acted(ExportUser user, string ownerId, string action, Guid id)
    {
        if (user.IsAdmin && ownerId != user.Id)
        {
            // An admin acting on someone else's schedule is rare: the string costs nothing worth guarding.
#pragma warning disable CA1873
            audit.AdminAction(user.Id, action, $"schedule {id} of {ownerId}");
#pragma warning restore CA1873
        }
    }

    internal static readonly Expression<Func<Schedule, ScheduleSummary>> ToSummary = s => new ScheduleSummary(
        s.Id, s.OwnerId, s.OwnerName, s.Name, s.Format, s.RangeKind, s.RangeHours, s.Recurrence, s.Cron, s.TimeZoneId,
        s.NextRunAt, s.LastRunAt, s.PausedAt, s.PauseReason, s.ConsecutiveFailures, s.CreatedAt, s.UpdatedAt)
    {
        Destinations = Schedule.ParseDestinations(s.Destinations),
    };

    private static readonly Func<Schedule, ScheduleSummary> Summarize = ToSummary.Compile();
}
