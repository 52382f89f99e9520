using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// Where dispatched changes go. One instance hands them to its own pages and hub clients; with several instances a
/// fan-out over a message bus takes its place, and each instance delivers what it hears the same way.
/// </summary>
public interface IExportChangeFanOut
{
    /// <summary>Hands <paramref name="changes"/> on, in order. Returns once every receiver has them queued.</summary>
    Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken);
}

/// <summary>
/// This process's open pages (a queue per subscription) and the hub's clients (the owner's and the admins'), which
/// are sent to by a loop of their own so the hub's pace never holds up the next changes for the pages. If the
/// process dies with changes still queued, its circuits and hub connections die with it; they reload or catch up
/// from the event rows when they reconnect.
/// </summary>
public sealed partial class InProcessFanOut(
    ExportChangeFeed feed,
    IHubContext<ExportsHub> hub,
    ILogger<InProcessFanOut> logger) : BackgroundService, IExportChangeFanOut
{
    // Far more than a dispatch batch: the dispatcher waits only when the hub is this far behind.
    private readonly Channel<ExportChanged> hubQueue = Channel.CreateBounded<ExportChanged>(
        new BoundedChannelOptions(10 * ExportChangeReader.MaxBatch) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public async Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            feed.Deliver(change);
        }
        await QueueForHubAsync(changes, cancellationToken);
    }

    /// <summary>
    /// Queues <paramref name="changes"/> for the hub's clients only. With the Redis backplane one send reaches the
    /// clients of every instance, so only the instance that dispatched a change sends it.
    /// </summary>
    public async Task QueueForHubAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            await hubQueue.Writer.WriteAsync(change, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var change in hubQueue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.Groups(ExportsHub.UserGroup(change.OwnerId), ExportsHub.AdminsGroup)
                        .SendAsync(ExportsHub.ExportChangedMethod, change, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Hub clients that missed it can ask for it with ExportsHub.ChangesSince.
                    LogHubFailed(logger, change.ExportId, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Warning, "Relaying the change of export request {ExportId} to hub clients failed")]
    private static partial void LogHubFailed(ILogger logger, Guid exportId, Exception ex);
}
