using Microsoft.AspNetCore.SignalR;

namespace Portal.Security;

/// <summary>
/// Names hub connections by the id the export service uses for owners (Entra object id, else name identifier), so
/// <c>Clients.User(export.OwnerId)</c> reaches the owner. SignalR's default, the name identifier, is Entra's
/// pairwise <c>sub</c>, which is not the object id.
/// </summary>
public sealed class PortalUserIdProvider : IUserIdProvider
{
    public string? GetUserId(HubConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.User.Identity?.IsAuthenticated == true ? connection.User.GetUserId() : null;
    }
}
