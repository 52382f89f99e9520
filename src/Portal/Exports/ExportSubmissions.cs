using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>New requests, re-runs and submitting an unconfirmed request again.</summary>
public interface IExportSubmissions
{
    /// <summary>Stores the request as <c>Queued</c> and wakes the tracker, which sends it upstream.</summary>
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="SubmitAsync(ExportUser, TimeRange, FileFormat, CancellationToken)"/> under a name (validated by
    /// <see cref="ExportNames.Problem"/>). Without one the export is named from its format and range in UTC
    /// (<see cref="ExportNames.Default"/>): a page passes the default in the user's zone.
    /// </summary>
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, CancellationToken cancellationToken = default);

    /// <summary>
    /// A script's submission, under the same rules and limits as a page's but without merging a repeat within the
    /// double-click window: a script that means one export sends an <paramref name="idempotencyKey"/>. A repeat of a key
    /// returns the export stored with it (<see cref="SubmitOutcome.Accepted.Repeated"/>); the key with another range or
    /// format, or with a name other than the stored one, is <see cref="SubmitOutcome.KeyReused"/>.
    /// </summary>
    Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary><see cref="SubmitWithKeyAsync(ExportUser, TimeRange, FileFormat, string?, CancellationToken)"/> under a name, as a page's.</summary>
    Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page's submission that is also delivered to <paramref name="destinations"/> (the user's own: any other id is
    /// <see cref="SubmitOutcome.Invalid"/> under <c>destinations</c>) once it completes.
    /// </summary>
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default);

    /// <summary>A script's submission that is also delivered to <paramref name="destinations"/>, checked as a page's.</summary>
    Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default);

    /// <summary>
    /// A page's submission for <paramref name="team"/> (null: the user's own), which the user must be a member of (else
    /// <see cref="SubmitOutcome.Invalid"/> under <c>team</c>); the choice is remembered as the user's
    /// <c>UserSettings.LastExportTeam</c>. A team's export is delivered to the team's destinations only.
    /// </summary>
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default);

    /// <summary>A script's submission for <paramref name="team"/> (null: the user's own), checked as a page's but not remembered.</summary>
    Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default);

    /// <summary>
    /// Submits the same parameters, name and team (while the user is a member of it) again, linked to the original; null
    /// when the original is not found or the user may only read it.
    /// </summary>
    Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends an <see cref="ExportStatus.Unconfirmed"/> request once more, at the user's word that a second, billed
    /// export may start. False when not found or not unconfirmed.
    /// </summary>
    Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>A completed request the user may read with the same range and format whose results are still retained upstream.</summary>
    Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);

    /// <summary>The team of the user's last export submitted from a page or with a team (null: their own); the new-export form starts with it.</summary>
    Task<string?> LastTeamAsync(ExportUser user, CancellationToken cancellationToken = default);
}

/// <summary>
/// Stores submissions; never calls the upstream. The tracker is the one code path that posts, so a request is
/// posted once however the page, a retry or a restart behaves.
/// </summary>
public sealed class ExportSubmissions(
    IDbContextFactory<PortalDbContext> dbFactory,
    ExportProgress progress,
    ExportAccess access,
    ISubmissionGate gate,
    TrackerSignal tracker,
    IExportOutbox outbox,
    TimeProvider time,
    IOptions<ExportsOptions> options,
    Security.AuditLog audit) : IExportSubmissions
{
    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name: null, cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey: null, mergeRepeats: true, destinations: null, team: null, remember: false, cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey: null, mergeRepeats: true, destinations, team: null, remember: false, cancellationToken);

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey: null, mergeRepeats: true, destinations, team, remember: true, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey, mergeRepeats: false, destinations, team: null, remember: false, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey, mergeRepeats: false, destinations, team, remember: false, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        SubmitWithKeyAsync(user, range, format, idempotencyKey, name: null, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, rerunOf: null, idempotencyKey, mergeRepeats: false, destinations: null, team: null, remember: false, cancellationToken);

    public async Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var original = await ResourceAccess.ReadableExports(db, user).AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (original is null)
        {
            await access.NotFoundAsync(db, user, id, "Rerun", cancellationToken);
            return null;
        }
        if (!ResourceAccess.CanCancel(user, original))
        {
            access.Refused(user, "Rerun", id);
            return null;
        }
        access.Acted(user, original.OwnerId, "Rerun", id);
        // The team's again while the user is one of it; otherwise (an admin, a member who left) the user's own.
        var team = ResourceAccess.CanAssignTo(user, original.Team) ? original.Team : null;
        return await SubmitAsync(user, original.Range, original.Format, original.Name, id, idempotencyKey: null, mergeRepeats: true, destinations: null,
            team, remember: false, cancellationToken);
    }

    public async Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await ResourceAccess.ReadableExports(db, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null)
        {
            await access.NotFoundAsync(db, user, id, "SubmitAgain", cancellationToken);
            return false;
        }
        if (!ResourceAccess.CanCancel(user, request))
        {
            access.Refused(user, "SubmitAgain", id);
            return false;
        }
        if (request.Status != ExportStatus.Unconfirmed)
        {
            return false;
        }
        var now = time.GetUtcNow();
        request.SubmitSentAt = null;
        request.LastError = null;
        request.ConsecutiveErrors = 0;
        request.NextPollAt = now;
        progress.Transition(db, request, ExportStatus.Queued, user.Name,
            "Submitted again after the warning that this may start a second, billed export.", now);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Cancelled or submitted again by someone else meanwhile: one decision is enough.
            return false;
        }
        access.Acted(user, request.OwnerId, "SubmitAgain", id);
        outbox.Wake();
        tracker.Wake();
        return true;
    }

    public async Task<string?> LastTeamAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.UserSettings.Where(s => s.UserId == user.Id).Select(s => s.LastExportTeam).SingleOrDefaultAsync(cancellationToken);
    }

    public async Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        if (range.To > now)
        {
            // A range that reaches into the future may still gain rows.
            return null;
        }
        var retainedSince = now - options.Value.UpstreamRetention + options.Value.RenewLinksBefore;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ResourceAccess.ReadableExports(db, user)
            .Where(e => e.Status == ExportStatus.Completed && e.RangeFrom == range.From && e.RangeTo == range.To
                && e.Format == format && e.CompletedAt > retainedSince && e.CompletedAt <= now)
            .OrderByDescending(e => e.CompletedAt)
            .Select(ExportQueries.ToSummary)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private async Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, Guid? rerunOf,
        string? idempotencyKey, bool mergeRepeats, IReadOnlyList<Guid>? destinations, string? team, bool remember, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var o = options.Value;
        var now = time.GetUtcNow();
        team = string.IsNullOrWhiteSpace(team) ? null : team.Trim();
        if (idempotencyKey is not null && await RepeatOfKeyAsync(user, range, format, name, team, idempotencyKey, cancellationToken) is { } repeat)
        {
            // Before validation and limits: the first answer stands, even once its range would no longer be accepted.
            return repeat;
        }
        var errors = ExportValidation.Validate(range, format, now, o, name);
        if (!ResourceAccess.CanAssignTo(user, team))
        {
            errors = new Dictionary<string, string[]>(errors) { [TeamField] = [$"You are not a member of team {team}."] };
        }
        if (errors.Count > 0)
        {
            return new SubmitOutcome.Invalid(errors);
        }

        ExportRequest request;
        await using (await gate.EnterAsync(user.Id, cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var recentStart = now - o.DuplicateWindow;
            var duplicate = !mergeRepeats ? null : await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt >= recentStart && e.RangeFrom == range.From && e.RangeTo == range.To
                    && e.Format == format && e.Team == team && e.RerunOf == rerunOf && e.ScheduleId == null && e.Status != ExportStatus.Failed && e.Status != ExportStatus.Cancelled)
                .OrderByDescending(e => e.CreatedAt)
                .Select(ExportQueries.ToSummary)
                .FirstOrDefaultAsync(cancellationToken);
            if (duplicate is not null)
            {
                return new SubmitOutcome.Accepted(duplicate) { Repeated = true };
            }

            // Counted and stored in one transaction that holds the user (on every instance): two submissions racing
            // for the last export of the day never both get it.
            await using var transaction = await db.BeginForUserAsync(user.Id, cancellationToken);
            var destinationErrors = await ExportDeliveries.CheckAsync(db, user.Id, team, destinations, cancellationToken);
            if (destinationErrors.Count > 0)
            {
                return new SubmitOutcome.Invalid(destinationErrors);
            }
            var allowance = await ExportAllowances.ReadAsync(db, user.Id, now, o, cancellationToken);
            if (allowance.IsUsedUp)
            {
                audit.AccessDenied(user.Id, "exports: daily allowance used up");
                return new SubmitOutcome.AllowanceUsedUp(allowance);
            }

            var minuteAgo = now - TimeSpan.FromMinutes(1);
            var lastMinute = await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt > minuteAgo && e.ScheduleId == null)
                .OrderBy(e => e.CreatedAt)
                .Select(e => e.CreatedAt)
                .ToListAsync(cancellationToken);
            if (lastMinute.Count >= o.MaxSubmissionsPerMinute)
            {
                var retryAfter = lastMinute[lastMinute.Count - o.MaxSubmissionsPerMinute] + TimeSpan.FromMinutes(1) - now;
                return new SubmitOutcome.Throttled(retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1));
            }

            var storedName = ExportNames.Normalize(name) ?? ExportNames.Default(format, range, TimeZoneInfo.Utc);
            request = AddQueued(db, user, range, format, storedName, user.Name, rerunOf is null ? "Requested." : $"Requested again (re-run of {rerunOf}).", now);
            request.RerunOf = rerunOf;
            request.IdempotencyKey = idempotencyKey;
            request.Team = team;
            ExportDeliveries.AddPending(db, request.Id, destinations, now);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (DbUpdateException ex) when (idempotencyKey is not null && !DatabaseErrors.IsUnavailable(ex))
            {
                await transaction.RollbackAsync(cancellationToken);
                // The key's unique index: another instance stored the same key first. Its answer is this one's.
                return await RepeatOfKeyAsync(user, range, format, name, team, idempotencyKey, cancellationToken) ?? throw new InvalidOperationException(
                    "Storing an export request with an idempotency key failed, and no request holds that key.");
            }
        }
        System.Diagnostics.Activity.Current?.SetTag(PortalActivity.ExportIdTag, request.Id);
        tracker.Wake();
        outbox.Wake();
        if (remember)
        {
            await RememberTeamAsync(user, team, now, cancellationToken);
        }
        return new SubmitOutcome.Accepted(ExportQueries.Summarize(request));
    }

    /// <summary>The field a submission's team is reported under.</summary>
    public const string TeamField = "team";

    /// <summary>Keeps the team of the user's latest new export for the form's next start; creates the settings row if missing.</summary>
    private async Task RememberTeamAsync(ExportUser user, string? team, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var updated = await db.UserSettings.Where(s => s.UserId == user.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.LastExportTeam, team), cancellationToken);
            if (updated > 0)
            {
                return;
            }
            db.UserSettings.Add(new UserSettings { UserId = user.Id, Email = user.Email, UpdatedAt = now, LastExportTeam = team });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException ex) when (!DatabaseErrors.IsUnavailable(ex))
            {
                // Created meanwhile (a settings save, another tab): update that row instead.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>
    /// Adds a schedule's run as a <c>Queued</c> request with its timeline entry to <paramref name="db"/> without saving,
    /// so the scheduler stores it in the transaction that records the run; the caller wakes the tracker and the outbox
    /// after committing. Validated like any submission; <paramref name="name"/> is <see cref="ExportNames.ForSchedule"/>. A scheduled run does not count against
    /// <see cref="ExportsOptions.MaxSubmissionsPerMinute"/>, which guards against clicks (schedules have their minimum interval), but it
    /// does count against the owner's daily allowance: the caller holds <see cref="UserTransactions.BeginForUserAsync"/> for the owner.
    /// The run is delivered to the schedule's <paramref name="destinations"/>; one deleted since fails its delivery with the reason.
    /// It belongs to the schedule's <paramref name="team"/>, whether or not its author is still a member.
    /// </summary>
    public static async Task<SubmitOutcome> AddScheduledAsync(
        PortalDbContext db, ExportUser owner, TimeRange range, FileFormat format, string name, Guid scheduleId, string detail, DateTimeOffset now, ExportsOptions options,
        IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(owner);
        var errors = ExportValidation.Validate(range, format, now, options);
        if (errors.Count > 0)
        {
            return new SubmitOutcome.Invalid(errors);
        }
        var allowance = await ExportAllowances.ReadAsync(db, owner.Id, now, options, cancellationToken);
        if (allowance.IsUsedUp)
        {
            return new SubmitOutcome.AllowanceUsedUp(allowance);
        }
        var request = AddQueued(db, owner, range, format, name, ScheduledActor, detail, now);
        request.ScheduleId = scheduleId;
        request.Team = team;
        ExportDeliveries.AddPending(db, request.Id, destinations, now);
        return new SubmitOutcome.Accepted(ExportQueries.Summarize(request));
    }

    /// <summary>Who requested a scheduled run, on its timeline.</summary>
    public const string ScheduledActor = "scheduler";

    private static ExportRequest AddQueued(PortalDbContext db, ExportUser owner, TimeRange range, FileFormat format, string name, string actor, string detail, DateTimeOffset now)
    {
        var request = new ExportRequest
        {
            Id = Guid.CreateVersion7(now),
            OwnerId = owner.Id,
            OwnerName = owner.Name,
            OwnerEmail = owner.Email,
            Name = name,
            RangeFrom = range.From,
            RangeTo = range.To,
            Format = format,
            Status = ExportStatus.Queued,
            CreatedAt = now,
            CreatedDay = DateOnly.FromDateTime(now.UtcDateTime),
            UpdatedAt = now,
            NextPollAt = now,
            // The tracker sends the POST later, in its own trace: its span links back to this one.
            TraceParent = PortalActivity.CurrentTraceParent(),
        };
        db.ExportRequests.Add(request);
        db.ExportEvents.Add(new ExportEvent
        {
            ExportId = request.Id,
            OwnerId = request.OwnerId,
            Version = request.Version,
            At = now,
            To = ExportStatus.Queued,
            Actor = actor,
            Detail = detail,
        });
        return request;
    }

    private async Task<SubmitOutcome?> RepeatOfKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? name, string? team, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Deleted requests keep their key: a retry must not start a second export because the first was deleted meanwhile.
        var stored = await db.ExportRequests.IgnoreQueryFilters()
            .Where(e => e.OwnerId == user.Id && e.IdempotencyKey == idempotencyKey)
            .Select(ExportQueries.ToSummary)
            .SingleOrDefaultAsync(cancellationToken);
        if (stored is null)
        {
            return null;
        }
        // A repeat without a name leaves the stored one as it is; a repeat that names it otherwise, or another team, is another request.
        return stored.Range == range && stored.Format == format && stored.Team == team && (ExportNames.Normalize(name) is not { } given || given == stored.Name)
            ? new SubmitOutcome.Accepted(stored) { Repeated = true }
            : new SubmitOutcome.KeyReused(stored);
    }
}
