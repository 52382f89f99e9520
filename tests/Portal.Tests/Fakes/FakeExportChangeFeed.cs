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
