using System.Globalization;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Schedules;

/// <summary>A user's and their teams' schedules: list, read, create, edit, pause, resume, delete, and the preview of the next runs.</summary>
public interface IScheduleService
{
    /// <summary>The schedules the user may read (their own and their teams'; an admin's are everyone's), of <paramref name="team"/> only when given.</summary>
    Task<IReadOnlyList<ScheduleSummary>> ListAsync(ExportUser user, string? team = null, CancellationToken cancellationToken = default);

    /// <summary>Null when not found or not readable by the user.</summary>
    Task<ScheduleDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> CreateAsync(ExportUser user, ScheduleInput input, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> UpdateAsync(ExportUser user, Guid id, ScheduleInput input, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> PauseAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<ScheduleOutcome> ResumeAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary><see cref="ScheduleOutcome.Deleted"/>, not found, or forbidden (a member of its team). The runs' exports stay in the history.</summary>
    Task<ScheduleOutcome> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>The next <paramref name="count"/> runs of <paramref name="input"/> from now (when its recurrence and zone are valid), and its errors.</summary>
    (IReadOnlyList<DateTimeOffset> Runs, IReadOnlyDictionary<string, string[]> Errors) Preview(ScheduleInput input, int count = 3);
}

/// <summary>
/// Scoped by <see cref="ResourceAccess"/>: a schedule the user may not read is "not found" (and audited); a member of its
/// team reads it, its maintainers (or its owner, for a personal one) change it; an admin may act on any. Every write is guarded by the schedule's version, so a user's edit and the scheduler never overwrite each other.
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

    public async Task<IReadOnlyList<ScheduleSummary>> ListAsync(ExportUser user, string? team = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var visible = ResourceAccess.Readable(db.Schedules, user);
        if (team is not null)
        {
            visible = visible.Where(s => s.Team == team);
        }
        return await visible.OrderBy(s => s.Name).ThenBy(s => s.CreatedAt).Select(ToSummary).ToListAsync(cancellationToken);
    }

    public async Task<ScheduleDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var summary = await ResourceAccess.Readable(db.Schedules, user).Where(s => s.Id == id).Select(ToSummary).SingleOrDefaultAsync(cancellationToken);
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
        if (!ResourceAccess.CanAssignTo(user, input.Team))
        {
            return NotAMember(input.Team);
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destinationErrors = await CheckDestinationsAsync(db, user.Id, input.Team, input.Destinations, cancellationToken);
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
            Team = input.Team,
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
        // A team is changed only to one the editor is a member of; without one in the input the schedule keeps its own.
        if (input.Team is not null && !ResourceAccess.CanAssignTo(user, input.Team))
        {
            return NotAMember(input.Team);
        }
        IReadOnlyDictionary<string, string[]> destinationErrors = new Dictionary<string, string[]>();
        if (input.Destinations.Count > 0)
        {
            // The schedule's team's destinations (or, for a personal one, its owner's), also when an admin or a maintainer edits it.
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var owner = await ResourceAccess.Readable(db.Schedules, user).Where(s => s.Id == id).Select(s => new { s.OwnerId, s.Team }).SingleOrDefaultAsync(cancellationToken);
            if (owner is not null)
            {
                destinationErrors = await CheckDestinationsAsync(db, owner.OwnerId, input.Team ?? owner.Team, input.Destinations, cancellationToken);
            }
        }
        if (destinationErrors.Count > 0)
        {
            return new ScheduleOutcome.Invalid(destinationErrors);
        }
        return await ChangeAsync(user, id, "Edit", (db, schedule) =>
        {
            var team = schedule.Team;
            Apply(schedule, input, definition, now);
            if (input.Team is not null && input.Team != team)
            {
                schedule.Team = input.Team;
                AddHistory(db, schedule, user.Name, $"Moved to team {input.Team}.", now);
            }
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
            schedule.PauseReason = user.IsAdmin && !ResourceAccess.CanChange(user with { IsAdmin = false }, schedule) ? $"Paused by {user.Name} (admin)." : $"Paused by {user.Name}.";
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

    public async Task<ScheduleOutcome> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (schedule, refused) = await FindAsync(db, user, id, "Delete", cancellationToken);
        if (schedule is null)
        {
            return refused!;
        }
        // Runs and history go with it; the exports it created stay, unlinked (the key is set null).
        db.Schedules.Remove(schedule);
        await db.SaveChangesAsync(cancellationToken);
        Acted(user, schedule, "Delete", id);
        return new ScheduleOutcome.Deleted();
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
        var (schedule, refused) = await FindAsync(db, user, id, action, cancellationToken);
        if (schedule is null)
        {
            return refused!;
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
            Acted(user, schedule, action, id);
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

    /// <summary>The schedule when the user may change it; else null and the answer: not found (audited) or forbidden (a member of its team).</summary>
    private async Task<(Schedule? Schedule, ScheduleOutcome? Refused)> FindAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        var schedule = await db.Schedules.SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        switch (ResourceAccess.Decide(user, schedule))
        {
            case Access.Change:
                return (schedule, null);
            case Access.ReadOnly:
                audit.AccessDenied(user.Id, $"{operation} schedule {id} of team {schedule!.Team}");
                return (null, new ScheduleOutcome.Forbidden());
            default:
                if (schedule is not null)
                {
                    audit.AccessDenied(user.Id, $"{operation} schedule {id}");
                }
                return (null, new ScheduleOutcome.NotFound());
        }
    }

    private async Task NotFoundAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        if (!user.IsAdmin && await db.Schedules.AnyAsync(s => s.Id == id, cancellationToken))
        {
            audit.AccessDenied(user.Id, $"{operation} schedule {id}");
        }
    }

    /// <summary>
    /// Problems with the destinations of a schedule of <paramref name="ownerId"/> and <paramref name="team"/>: a team's
    /// schedule delivers to its team's destinations only, a personal one to its owner's; any other is "not found".
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, string[]>> CheckDestinationsAsync(
        PortalDbContext db, string ownerId, string? team, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken)
    {
        if (destinations.Count == 0)
        {
            return new Dictionary<string, string[]>();
        }
        var ids = destinations.Distinct().ToList();
        if (ids.Count > ExportDeliveries.MaxPerExport)
        {
            return new Dictionary<string, string[]> { [ExportDeliveries.Field] = [$"An export is delivered to at most {ExportDeliveries.MaxPerExport} destinations."] };
        }
        var usable = await ResourceAccess.UsableBy(db.Destinations, ownerId, team).Where(d => ids.Contains(d.Id)).Select(d => d.Id).ToListAsync(cancellationToken);
        var missing = ids.Where(id => !usable.Contains(id))
            .Select(id => team is null ? $"Destination {id} was not found." : $"Destination {id} was not found among the destinations of team {team}.").ToArray();
        return missing.Length == 0 ? new Dictionary<string, string[]>() : new Dictionary<string, string[]> { [ExportDeliveries.Field] = missing };
    }

    private static ScheduleOutcome.Invalid NotAMember(string? team) =>
        new(new Dictionary<string, string[]> { [TeamField] = [$"You are not a member of team {team}."] });

    /// <summary>The field a problem with the team is reported under.</summary>
    public const string TeamField = "team";

    private void Acted(ExportUser user, Schedule schedule, string action, Guid id)
    {
        if (user.IsAdmin && !ResourceAccess.CanChange(user with { IsAdmin = false }, schedule))
        {
            // An admin acting on someone else's schedule is rare: the string costs nothing worth guarding.
#pragma warning disable CA1873
            audit.AdminAction(user.Id, action, $"schedule {id} of {schedule.OwnerId}");
#pragma warning restore CA1873
        }
    }

    internal static readonly Expression<Func<Schedule, ScheduleSummary>> ToSummary = s => new ScheduleSummary(
        s.Id, s.OwnerId, s.OwnerName, s.Name, s.Format, s.RangeKind, s.RangeHours, s.Recurrence, s.Cron, s.TimeZoneId,
        s.NextRunAt, s.LastRunAt, s.PausedAt, s.PauseReason, s.ConsecutiveFailures, s.CreatedAt, s.UpdatedAt)
    {
        Destinations = Schedule.ParseDestinations(s.Destinations),
        Team = s.Team,
    };

    private static readonly Func<Schedule, ScheduleSummary> Summarize = ToSummary.Compile();
}
