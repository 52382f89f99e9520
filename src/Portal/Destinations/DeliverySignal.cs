using System.Threading.Channels;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;

namespace Portal.Destinations;

/// <summary>Wakes the delivery worker when an export completed, instead of waiting for its next look.</summary>
public sealed class DeliverySignal : IDeliveryPlanner
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => wake.Writer.TryWrite(true);

    /// <summary>Plans nothing: deliveries were stored with their export. An export that ended wakes the worker.</summary>
    public Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Any(c => c.Previous != c.Status && !c.Status.IsTracked()))
        {
            Wake();
        }
        return Task.CompletedTask;
    }

    /// <summary>Waits until woken or until <paramref name="interval"/> has passed on <paramref name="time"/>.</summary>
    public async Task WaitAsync(TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(interval, time, cts.Token);
        var woken = wake.Reader.WaitToReadAsync(cts.Token).AsTask();
        await Task.WhenAny(delay, woken);
        wake.Reader.TryRead(out _);
        await cts.CancelAsync();
    }
}
