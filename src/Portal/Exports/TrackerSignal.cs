namespace Portal.Exports;

/// <summary>Tells the trackers of other instances to wake (registered only with several instances).</summary>
public interface ITrackerSignalRelay
{
    void Relay();
}

/// <summary>
/// Wakes the tracker at once when something became due now: a new submission, one submitted again. With several
/// instances the relays wake every instance's tracker, whichever claims the work first.
/// </summary>
public sealed class TrackerSignal(IEnumerable<ITrackerSignalRelay> relays) : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Wake()
    {
        WakeHere();
        foreach (var relay in relays)
        {
            relay.Relay();
        }
    }

    /// <summary>Wakes this instance's tracker only.</summary>
    public void WakeHere()
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return;
        }
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, time, cts.Token);
        var woken = signal.WaitAsync(cts.Token);
        await Task.WhenAny(delay, woken);
        await cts.CancelAsync();
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose() => signal.Dispose();
}
