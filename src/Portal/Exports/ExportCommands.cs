using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>
/// Cancel and delete, for whoever <see cref="ResourceAccess.CanCancel"/> allows; false for an export the caller may not
/// read (audited as not found) or may only read (audited as refused).
/// </summary>
public interface IExportCommands
{
    Task<bool> CancelAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => CancelAsync(user, id, null, cancellationToken);

    /// <summary>
    /// Cancels an open request. When <paramref name="user"/> is not its owner (an admin), the timeline says who
    /// cancelled it and why, and the owner gets a notice; <paramref name="reason"/> is optional and must pass
    /// <see cref="CancelReason.Problem"/>.
    /// </summary>
    Task<bool> CancelAsync(ExportUser user, Guid id, string? reason, CancellationToken cancellationToken = default);

    /// <summary>Removes the request from every history; an open one is cancelled first.</summary>
    Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);
}

public sealed class ExportCommands(
    IDbContextFactory<PortalDbContext> dbFactory,
    ExportProgress progress,
    ExportAccess access,
    IExportOutbox outbox,
    TimeProvider time) : IExportCommands
{
    private const int Attempts = 5;

    public async Task<bool> CancelAsync(ExportUser user, Guid id, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (CancelReason.Problem(reason) is { } problem)
        {
            throw new ArgumentException(problem, nameof(reason));
        }
        reason = CancelReason.Normalize(reason);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ResourceAccess.ReadableExports(db, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await access.NotFoundAsync(db, user, id, "Cancel", cancellationToken);
                return false;
            }
            if (!ResourceAccess.CanCancel(user, request))
            {
                // A member or a colleague it is shared with reads it; only who may change it ends it.
                access.Refused(user, "Cancel", id);
                return false;
            }
            if (!request.Status.IsOpen())
            {
                return false;
            }
            Cancel(db, request, user, reason);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // The tracker wrote an answer meanwhile; look again.
                continue;
            }
            access.Acted(user, request.OwnerId, "Cancel", id);
            outbox.Wake();
            return true;
        }
        return false;
    }

    public async Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ResourceAccess.ReadableExports(db, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await access.NotFoundAsync(db, user, id, "Delete", cancellationToken);
                return false;
            }
            if (!ResourceAccess.CanCancel(user, request))
            {
                // A member or a colleague it is shared with reads it; only who may change it ends it.
                access.Refused(user, "Delete", id);
                return false;
            }

            // The row stays, hidden: a POST under way may still bring an upstream id that belongs on the record.
            if (request.Status.IsOpen())
            {
                Cancel(db, request, user);
            }
            var now = time.GetUtcNow();
            request.DeletedAt = now;
            ExportProgress.Note(db, request, user.Name, "Deleted.", now);
            await db.ExportNotices.Where(n => n.ExportId == id).ExecuteDeleteAsync(cancellationToken);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }
            access.Acted(user, request.OwnerId, "Delete", id);
            outbox.Wake();
            return true;
        }
        return false;
    }

    private void Cancel(PortalDbContext db, ExportRequest request, ExportUser user, string? reason = null)
    {
        if (user.Id == request.OwnerId)
        {
            progress.Transition(db, request, ExportStatus.Cancelled, user.Name, "Tracking stopped.", time.GetUtcNow());
            return;
        }
        // Nothing the owner did ended it: they hear who did, and why.
        progress.Transition(db, request, ExportStatus.Cancelled, user.Name, CancelReason.Detail(user.Name, reason), time.GetUtcNow(), notifyOwner: true);
    }
}
