using Microsoft.AspNetCore.SignalR;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// The one publisher of status changes: in-process subscribers (circuits) first, then the hub's clients (the
/// owner's connections and the admins').
/// </summary>
public sealed partial class ExportEvents(IHubContext<ExportsHub> hub, ILogger<ExportEvents> logger) : IExportEvents
{
    private readonly Lock gate = new();
    private Func<ExportChanged, Task>[] handlers = [];

    public IDisposable Subscribe(Func<ExportChanged, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (gate)
        {
            handlers = [.. handlers, handler];
        }
        return new Subscription(this, handler);
    }

    public async Task PublishAsync(ExportChanged change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        foreach (var handler in Volatile.Read(ref handlers))
        {
            try
            {
                await handler(change);
            }
            catch (Exception ex)
            {
                // A broken page must not keep the change from the others.
                LogSubscriberFailed(logger, change.ExportId, ex);
            }
        }

        try
        {
            await hub.Clients.Groups(ExportsHub.UserGroup(change.OwnerId), ExportsHub.AdminsGroup)
                .SendAsync(ExportsHub.ExportChangedMethod, change, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogHubFailed(logger, change.ExportId, ex);
        }
    }

    private void Unsubscribe(Func<ExportChanged, Task> handler)
    {
        lock (gate)
        {
            handlers = [.. handlers.Where(h => h != handler)];
        }
    }

    private sealed class Subscription(ExportEvents owner, Func<ExportChanged, Task> handler) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Unsubscribe(handler);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "A subscriber failed to handle the change of export request {ExportId}")]
    private static partial void LogSubscriberFailed(ILogger logger, Guid exportId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Relaying the change of export request {ExportId} to hub clients failed")]
    private static partial void LogHubFailed(ILogger logger, Guid exportId, Exception ex);
}
