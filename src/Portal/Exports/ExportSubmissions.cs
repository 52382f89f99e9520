using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Hosting;

namespace Portal.Exports;

/// <summary>New requests, re-runs and submitting an unconfirmed request again.</summary>
public interface IExportSubmissions
{
    /// <summary>Stores the request as <c>Queued</c> and wakes the tracker, which sends it upstream.</summary>
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);

    /// <summary>Submits the same parameters again, linked to the original; null when the original is not found.</summary>
    Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends an <see cref="ExportStatus.Unconfirmed"/> request once more, at the user's word that a second, billed
    /// export may start. False when not found or not unconfirmed.
    /// </summary>
    Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>A completed request of the user with the same range and format whose results are still retained upstream.</summary>
    Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);
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
    IOptions<ExportsOptions> options) : IExportSubmissions
{
    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, rerunOf: null, cancellationToken);

    public async Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var original = await ExportAccess.VisibleTo(db.ExportRequests, user).Where(e => e.Id == id)
            .Select(e => new { e.OwnerId, e.RangeFrom, e.RangeTo, e.Format })
            .SingleOrDefaultAsync(cancellationToken);
        if (original is null)
        {
            await access.NotFoundAsync(db, user, id, "Rerun", cancellationToken);
            return null;
        }
        access.Acted(user, original.OwnerId, "Rerun", id);
        return await SubmitAsync(user, new TimeRange(original.RangeFrom, original.RangeTo), original.Format, id, cancellationToken);
    }

    public async Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await ExportAccess.VisibleTo(db.ExportRequests, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null)
        {
            await access.NotFoundAsync(db, user, id, "SubmitAgain", cancellationToken);
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
        return await db.ExportRequests
            .Where(e => e.OwnerId == user.Id && e.Status == ExportStatus.Completed && e.RangeFrom == range.From && e.RangeTo == range.To
                && e.Format == format && e.CompletedAt > retainedSince && e.CompletedAt <= now)
            .OrderByDescending(e => e.CompletedAt)
            .Select(ExportQueries.ToSummary)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private async Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, Guid? rerunOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var o = options.Value;
        var now = time.GetUtcNow();
        var errors = ExportValidation.Validate(range, format, now, o);
        if (errors.Count > 0)
        {
            return new SubmitOutcome.Invalid(errors);
        }

        ExportRequest request;
        using (await gate.EnterAsync(user.Id, cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var recentStart = now - o.DuplicateWindow;
            var duplicate = await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt >= recentStart && e.RangeFrom == range.From && e.RangeTo == range.To
                    && e.Format == format && e.RerunOf == rerunOf && e.Status != ExportStatus.Failed && e.Status != ExportStatus.Cancelled)
                .OrderByDescending(e => e.CreatedAt)
                .Select(ExportQueries.ToSummary)
                .FirstOrDefaultAsync(cancellationToken);
            if (duplicate is not null)
            {
                return new SubmitOutcome.Accepted(duplicate);
            }

            var minuteAgo = now - TimeSpan.FromMinutes(1);
            var lastMinute = await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt > minuteAgo)
                .OrderBy(e => e.CreatedAt)
                .Select(e => e.CreatedAt)
                .ToListAsync(cancellationToken);
            if (lastMinute.Count >= o.MaxSubmissionsPerMinute)
            {
                var retryAfter = lastMinute[lastMinute.Count - o.MaxSubmissionsPerMinute] + TimeSpan.FromMinutes(1) - now;
                return new SubmitOutcome.Throttled(retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1));
            }

            request = new ExportRequest
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = user.Id,
                OwnerName = user.Name,
                OwnerEmail = user.Email,
                RangeFrom = range.From,
                RangeTo = range.To,
                Format = format,
                Status = ExportStatus.Queued,
                CreatedAt = now,
                CreatedDay = DateOnly.FromDateTime(now.UtcDateTime),
                UpdatedAt = now,
                RerunOf = rerunOf,
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
                Actor = user.Name,
                Detail = rerunOf is null ? "Requested." : $"Requested again (re-run of {rerunOf}).",
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        System.Diagnostics.Activity.Current?.SetTag(PortalActivity.ExportIdTag, request.Id);
        tracker.Wake();
        outbox.Wake();
        return new SubmitOutcome.Accepted(ExportQueries.Summarize(request));
    }
}
