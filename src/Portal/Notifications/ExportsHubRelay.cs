using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

/// <summary>
/// Sends the changes this instance's feed hears to the hub connections this instance holds whose user may read the
/// export (<see cref="ResourceAccess"/>: its owner while it has no team, its team's members, colleagues it is shared
/// with, admins), and a share or an unshare to the colleague it concerns. Who an export is shared with is read from the
/// database once per change, and only when a connection's user is none of the others, so an unshare holds on every
/// instance at once. As a subscriber of the feed it gets each change once and in version order, and catches up from the
/// event rows if it falls behind, on every instance alike. Every send goes to a connection of this instance
/// (connections are sticky), so several instances need no SignalR backplane.
/// </summary>
public sealed partial class ExportsHubRelay(
    IExportChangeFeed feed,
    HubSessions sessions,
    IHubContext<ExportsHub> hub,
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<PortalAuthorizationOptions> authorization,
    ILogger<ExportsHubRelay> logger) : IHostedService
{
    private IDisposable? subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        subscription = feed.Subscribe(SendAsync);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        subscription?.Dispose();
        return Task.CompletedTask;
    }

    private async Task SendAsync(ExportChanged change)
    {
        var adminRole = authorization.Value.AdminRole;
        var export = new ChangedExport(change.OwnerId, change.Team);
        var recipients = new List<string>();
        List<(string ConnectionId, string UserId)>? undecided = null;
        foreach (var connection in sessions.Open)
        {
            if (connection.Context.User is not { } principal)
            {
                continue;
            }
            var user = ExportUser.FromPrincipal(principal, adminRole);
            if (ResourceAccess.CanRead(user, export) || user.Id == change.AccessChangedFor)
            {
                recipients.Add(connection.Context.ConnectionId);
            }
            else
            {
                (undecided ??= []).Add((connection.Context.ConnectionId, user.Id));
            }
        }
        if (undecided is not null)
        {
            var sharedWith = await SharedWithAsync(change.ExportId, [.. undecided.Select(u => u.UserId).Distinct(StringComparer.Ordinal)]);
            recipients.AddRange(undecided.Where(u => sharedWith.Contains(u.UserId)).Select(u => u.ConnectionId));
        }
        await Task.WhenAll(recipients.Select(connectionId => SendAsync(connectionId, change)));
    }

    /// <summary>Which of <paramref name="userIds"/> the export is shared with now; none when the database does not answer.</summary>
    private async Task<HashSet<string>> SharedWithAsync(Guid exportId, List<string> userIds)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var shared = await db.ExportShares.Where(s => s.ExportId == exportId && userIds.Contains(s.UserId)).Select(s => s.UserId).ToListAsync();
            return new HashSet<string>(shared, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Those it is shared with miss this change and catch up with ExportsHub.ChangesSince; the others still hear it.
            LogSharesUnread(logger, exportId, ex);
            return [];
        }
    }

    private async Task SendAsync(string connectionId, ExportChanged change)
    {
        try
        {
            await hub.Clients.Client(connectionId).SendAsync(ExportsHub.ExportChangedMethod, change);
        }
        catch (Exception ex)
        {
            // A client that missed it can ask for it with ExportsHub.ChangesSince.
            LogSendFailed(logger, change.ExportId, ex);
        }
    }

    /// <summary>What <see cref="ResourceAccess"/> needs of the changed export.</summary>
    private sealed record ChangedExport(string OwnerId, string? Team) : IOwnedResource;

    [LoggerMessage(LogLevel.Warning, "Sending the change of export request {ExportId} to a hub connection failed")]
    private static partial void LogSendFailed(ILogger logger, Guid exportId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Reading whom export request {ExportId} is shared with failed; its change was sent only to its other readers")]
    private static partial void LogSharesUnread(ILogger logger, Guid exportId, Exception ex);
}
