using Microsoft.AspNetCore.SignalR;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// Where dispatched changes go. One instance hands them to its own pages and hub clients; with several instances a
/// fan-out over a message bus takes its place, and each instance delivers what it hears the same way.
/// </summary>
public interface IExportChangeFanOut
{
    /// <summary>Delivers <paramref name="changes"/>, in order. Returns once every receiver has them or has them queued.</summary>
    Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken);
}

/// <summary>This process's open pages (queued per subscription, never awaited) and the hub's clients (the owner's and the admins').</summary>
public sealed partial class InProcessFanOut(
    ExportChangeFeed feed,
    IHubContext<ExportsHub> hub,
    ILogger<InProcessFanOut> logger) : IExportChangeFanOut
{
    public async Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            feed.Deliver(change);
        }
        foreach (var change in changes)
        {
            try
            {
                await hub.Clients.Groups(ExportsHub.UserGroup(change.OwnerId), ExportsHub.AdminsGroup)
                    .SendAsync(ExportsHub.ExportChangedMethod, change, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Hub clients that missed it catch up with ExportsHub.ChangesSince when they reconnect.
                LogHubFailed(logger, change.ExportId, ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Relaying the change of export request {ExportId} to hub clients failed")]
    private static partial void LogHubFailed(ILogger logger, Guid exportId, Exception ex);
}
