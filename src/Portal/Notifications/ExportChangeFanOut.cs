using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// Where dispatched changes go. One instance hands them to its own <see cref="ExportChangeFeed"/>; with several
/// instances a fan-out over a message bus takes its place, and each instance hands what it hears to its own feed.
/// Open pages and this instance's hub connections (<see cref="ExportsHubRelay"/>) subscribe to the feed.
/// </summary>
public interface IExportChangeFanOut
{
    /// <summary>Hands <paramref name="changes"/> on, in order. Returns once every receiver has them queued.</summary>
    Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken);
}

/// <summary>The fan-out of one instance: its feed, which never waits for a subscriber.</summary>
public sealed class InProcessFanOut(ExportChangeFeed feed) : IExportChangeFanOut
{
    public Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            feed.Deliver(change);
        }
        return Task.CompletedTask;
    }
}
