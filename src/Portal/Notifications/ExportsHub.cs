using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

/// <summary>
/// Status changes for clients that are not a circuit: each connection hears its user's requests, an admin's
/// hears everyone's. Clients only listen (<see cref="ExportChangedMethod"/>); they call nothing.
/// </summary>
[Authorize]
public sealed class ExportsHub(IOptions<PortalAuthorizationOptions> authorization) : Hub
{
    public const string Path = "/hubs/exports";

    public const string ExportChangedMethod = "ExportChanged";

    internal const string AdminsGroup = "admins";

    // An admin's connections are in the admins group only, so an admin's own change arrives once.
    internal static string UserGroup(string userId) => "user:" + userId;

    public override async Task OnConnectedAsync()
    {
        var user = ExportUser.FromPrincipal(Context.User ?? new ClaimsPrincipal(), authorization.Value.AdminRole);
        await Groups.AddToGroupAsync(Context.ConnectionId, user.IsAdmin ? AdminsGroup : UserGroup(user.Id));
        await base.OnConnectedAsync();
    }
}
