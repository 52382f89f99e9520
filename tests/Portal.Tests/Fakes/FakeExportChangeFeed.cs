using Portal.Exports;

namespace Portal.Tests.Fakes;

/// <summary>A change feed that calls its subscribers at once (the real one queues per subscriber).</summary>
public sealed class FakeExportChangeFeed : IExportChangeFeed
{
    private readonly List<Func<ExportChanged, Task>> _handlers = [];

    public int SubscriberCount
    {
        get
        {
            lock (_handlers)
            {
                return _handlers.Count;
            }
        }
    }

    public IDisposable Subscribe(Func<ExportChanged, Task> handler)
    {
        lock (_handlers)
        {
            _handlers.Add(handler);
        }
        return new Subscription(() =>
        {
            lock (_handlers)
            {
                _handlers.Remove(handler);
            }
        });
    }

    /// <summary>The requests that subscriptions for one request were made for, in order (disposed ones too).</summary>
    public List<Guid> ExportScopes { get; } = [];

    public IDisposable SubscribeToExport(Guid exportId, Func<ExportChanged, Task> handler)
    {
        lock (_handlers)
        {
            ExportScopes.Add(exportId);
        }
        return Subscribe(change => change.ExportId == exportId ? handler(change) : Task.CompletedTask);
    }

    public IDisposable SubscribeToOwner(string ownerId, Func<ExportChanged, Task> handler) =>
        Subscribe(change => change.OwnerId == ownerId || change.AccessChangedFor == ownerId ? handler(change) : Task.CompletedTask);

    public IDisposable SubscribeToTeam(string team, Func<ExportChanged, Task> handler) =>
        Subscribe(change => change.Team == team ? handler(change) : Task.CompletedTask);

    public async Task PublishAsync(ExportChanged change, CancellationToken cancellationToken = default)
    {
        Func<ExportChanged, Task>[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }
        foreach (var handler in handlers)
        {
            await handler(change);
        }
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
