using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>
/// Owner-or-admin scoping, the one place that decides which requests a user may see or act on. Another user's
/// request is "not found"; the attempt is still worth an audit entry, and so is an admin acting on someone else's.
/// </summary>
public sealed class ExportAccess(AuditLog audit)
{
    /// <summary>The requests <paramref name="user"/> may see: an admin's are everyone's.</summary>
    public static IQueryable<ExportRequest> VisibleTo(IQueryable<ExportRequest> requests, ExportUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsAdmin ? requests : requests.Where(e => e.OwnerId == user.Id);
    }

    /// <summary>Records a request for an export that exists but is not the user's.</summary>
    public async Task NotFoundAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        if (!user.IsAdmin && await db.ExportRequests.AnyAsync(e => e.Id == id, cancellationToken))
        {
            audit.AccessDenied(user.Id, operation, id);
        }
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
