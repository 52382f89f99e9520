using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

/// <summary>
/// Status changes for clients that are not a circuit: each connection hears the requests its user may read
/// (<see cref="ResourceAccess"/>: their own, their teams', those shared with them; an admin's everyone's) and the
/// shares and unshares with them (<see cref="ExportChangedMethod"/>, sent by <see cref="ExportsHubRelay"/>). A client that reconnects asks for what it missed with
/// <see cref="ChangesSince"/>, from the last <see cref="ExportChanged.EventId"/> it saw, and drops a change whose
/// <see cref="ExportChanged.Version"/> of the request it has already seen.
/// </summary>
[Authorize]
public sealed class ExportsHub(IOptions<PortalAuthorizationOptions> authorization, IDbContextFactory<PortalDbContext> dbFactory) : Hub
{
    public const string Path = "/hubs/exports";

    public const string ExportChangedMethod = "ExportChanged";

    /// <summary>The most changes one <see cref="ChangesSince"/> returns; ask again from the last one for more.</summary>
    public const int MaxChangesSince = ExportChangeReader.MaxBatch;

    /// <summary>The changes the caller may read (an admin: everyone's) after event <paramref name="afterEventId"/>, oldest first, at most <see cref="MaxChangesSince"/>.</summary>
    public async Task<IReadOnlyList<ExportChanged>> ChangesSince(long afterEventId)
    {
        var user = CurrentUser();
        await using var db = await dbFactory.CreateDbContextAsync(Context.ConnectionAborted);
        var rows = db.ExportEvents.Where(e => e.Id > afterEventId);
        if (!user.IsAdmin)
        {
            // Deleted exports too: their last change says they are gone.
            var id = user.Id;
            var exports = db.ExportRequests.IgnoreQueryFilters();
            var readable = ResourceAccess.Readable(exports, user).Select(r => r.Id);
            var shared = db.ExportShares.Where(s => s.UserId == id).Select(s => s.ExportId);
            var others = exports.Where(r => r.OwnerId != id).Select(r => r.Id);
            rows = rows.Where(e => readable.Contains(e.ExportId) || shared.Contains(e.ExportId)
                // A share or an unshare with the caller, which they hear even once they may no longer read the export.
                || (e.OwnerId == id && others.Contains(e.ExportId)));
        }
        return await ExportChangeReader.ReadAsync(db, rows, MaxChangesSince, Context.ConnectionAborted);
    }

    private ExportUser CurrentUser() => ExportUser.FromPrincipal(Context.User ?? new ClaimsPrincipal(), authorization.Value.AdminRole);
}
