using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications;

/// <summary>
/// Sends the changes this instance's feed hears to the hub connections this instance holds: a user's connections
/// hear that user's requests, an admin's hear everyone's. As a subscriber of the feed it gets each change once and
/// in version order, and catches up from the event rows if it falls behind, on every instance alike. Every send goes
/// to a connection of this instance (connections are sticky), so several instances need no SignalR backplane.
/// </summary>
public sealed partial class ExportsHubRelay(
    IExportChangeFeed feed,
    HubSessions sessions,
    IHubContext<ExportsHub> hub,
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
        var sends = new List<Task>();
        foreach (var connection in sessions.Open)
        {
            if (connection.Context.User is not { } principal)
            {
                continue;
            }
            var user = ExportUser.FromPrincipal(principal, adminRole);
            if (user.IsAdmin || user.Id == change.OwnerId)
            {
                sends.Add(SendAsync(connection.Context.ConnectionId, change));
            }
        }
        await Task.WhenAll(sends);
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

    [LoggerMessage(LogLevel.Warning, "Sending the change of export request {ExportId} to a hub connection failed")]
    private static partial void LogSendFailed(ILogger logger, Guid exportId, Exception ex);
}
