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
/// Status changes for clients that are not a circuit: each connection hears its user's requests, an admin's
/// hears everyone's (<see cref="ExportChangedMethod"/>, sent by <see cref="ExportsHubRelay"/>). A client that reconnects asks for what it missed with
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

    /// <summary>The caller's changes (an admin's: everyone's) after event <paramref name="afterEventId"/>, oldest first, at most <see cref="MaxChangesSince"/>.</summary>
    public async Task<IReadOnlyList<ExportChanged>> ChangesSince(long afterEventId)
    {
        var user = CurrentUser();
        await using var db = await dbFactory.CreateDbContextAsync(Context.ConnectionAborted);
        var rows = db.ExportEvents.Where(e => e.Id > afterEventId);
        if (!user.IsAdmin)
        {
            rows = rows.Where(e => e.OwnerId == user.Id);
        }
        return await ExportChangeReader.ReadAsync(db, rows, MaxChangesSince, Context.ConnectionAborted);
    }

    private ExportUser CurrentUser() => ExportUser.FromPrincipal(Context.User ?? new ClaimsPrincipal(), authorization.Value.AdminRole);
}
