using System.Collections.Concurrent;

namespace Portal.Exports;

/// <summary>
/// One submission at a time per user, so a double click is seen as one and the per-minute limit and the duplicate
/// check (read from the rows) hold. With several instances a lock in Redis takes the place of this process's.
/// </summary>
public interface ISubmissionGate
{
    /// <summary>Waits for the user's gate; disposing the result (asynchronously: a shared gate is released over the network) opens it.</summary>
    Task<IAsyncDisposable> EnterAsync(string userId, CancellationToken cancellationToken);
}

/// <summary>This process's gate: enough for one instance.</summary>
public sealed class SubmissionGate : ISubmissionGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable> EnterAsync(string userId, CancellationToken cancellationToken)
    {
        var semaphore = gates.GetOrAdd(userId, _ => new SemaphoreSlim(1, 1));
        await semaphore.WaitAsync(cancellationToken);
        return new Release(semaphore);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
            return ValueTask.CompletedTask;
        }
    }
}
