using System.Threading.Channels;

namespace Portal.Webhooks;

/// <summary>Wakes the sender when deliveries were added, instead of waiting for its next look.</summary>
public sealed class WebhookSenderSignal
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => wake.Writer.TryWrite(true);

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
