using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>Event rows as the changes receivers get: what the dispatcher pushes and what catch-up reads.</summary>
internal static class ExportChangeReader
{
    /// <summary>The most changes one read returns.</summary>
    public const int MaxBatch = 500;

    /// <summary>The first <paramref name="max"/> of <paramref name="rows"/> in id order.</summary>
    public static async Task<IReadOnlyList<ExportChanged>> ReadAsync(
        PortalDbContext db, IQueryable<ExportEvent> rows, int max, CancellationToken cancellationToken)
    {
        var events = await rows.AsNoTracking().OrderBy(e => e.Id).Take(Math.Clamp(max, 1, MaxBatch)).ToListAsync(cancellationToken);
        if (events.Count == 0)
        {
            return [];
        }

        // The request as it is now: its version tells the receiver whether it has seen a later change already.
        var exportIds = events.Select(e => e.ExportId).Distinct().ToList();
        var requests = await db.ExportRequests
            .IgnoreQueryFilters()
            .Where(r => exportIds.Contains(r.Id))
            .Select(r => new { r.Id, r.OwnerId, r.Team, r.RowCount, FileCount = r.Files.Count, Deleted = r.DeletedAt != null, r.LastError })
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        // A share's or an unshare's row is routed to the colleague (ExportProgress.AccessNote): the change still names the
        // export's owner, and the colleague as the one whose access changed.
        return events
            .Select(e => requests.TryGetValue(e.ExportId, out var request)
                ? new ExportChanged(e.ExportId, request.OwnerId, e.From, e.To, e.At, e.Detail, request.RowCount, request.FileCount, e.Version, e.Id, request.Deleted, e.DeliveryId, e.DeliveryStatus, e.Actor, request.LastError)
                {
                    Team = request.Team,
                    AccessChangedFor = e.OwnerId == request.OwnerId ? null : e.OwnerId,
                }
                : new ExportChanged(e.ExportId, e.OwnerId, e.From, e.To, e.At, e.Detail, null, 0, e.Version, e.Id, Deleted: true, e.DeliveryId, e.DeliveryStatus, e.Actor))
            .ToList();
    }
}
