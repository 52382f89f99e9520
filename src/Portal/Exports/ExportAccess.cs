using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>
/// The audit side of the export service's authorization. Who may see or act on an export is decided by
/// <see cref="ResourceAccess"/> alone; an export the user may not read is "not found", and the attempt is still worth an
/// audit entry, as is an admin acting on someone else's export and a reader refused an action.
/// </summary>
public sealed class ExportAccess(AuditLog audit)
{
    /// <summary>Records a request for an export that exists but that the user may not read.</summary>
    public async Task NotFoundAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        if (!user.IsAdmin && await db.ExportRequests.AnyAsync(e => e.Id == id, cancellationToken))
        {
            audit.AccessDenied(user.Id, operation, id);
        }
    }

    /// <summary>Records a user who may read an export but was refused <paramref name="operation"/> on it.</summary>
    public void Refused(ExportUser user, string operation, Guid id)
    {
        ArgumentNullException.ThrowIfNull(user);
        audit.AccessDenied(user.Id, operation, id);
    }

    /// <summary>Records an admin acting on another user's export.</summary>
    public void Acted(ExportUser user, string ownerId, string action, Guid id)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.IsAdmin && ownerId != user.Id)
        {
            audit.AdminAction(user.Id, action, id, ownerId);
        }
    }
}
