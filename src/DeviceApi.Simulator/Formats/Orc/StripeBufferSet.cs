namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// The stripe buffers of one <see cref="OrcDeviceStatusWriter"/>. A result of many parts has a writer per part,
/// one after another; the last writer to finish leaves its set, grown to a stripe's size, for the next one, so
/// memory stays that of one writer however many parts there are. The shared array pool alone does not
/// promise that: what it keeps depends on the threads and cores the async writes resumed on.
/// </summary>
internal sealed class StripeBufferSet : IDisposable
{
    private static StripeBufferSet? s_spare;

    private readonly List<ByteBuffer> _buffers = [];
    private int _taken;

    /// <summary>The spare set if there is one (concurrent writers beyond the first get sets of their own).</summary>
    public static StripeBufferSet Rent() => Interlocked.Exchange(ref s_spare, null) ?? new StripeBufferSet();

    /// <summary>
    /// The next buffer; a writer asks for its buffers in the same order each time, so a reused set hands each
    /// column the buffer it grew before.
    /// </summary>
    public ByteBuffer Next(int initialCapacity)
    {
        if (_taken == _buffers.Count)
        {
            _buffers.Add(new ByteBuffer(initialCapacity));
        }

        var buffer = _buffers[_taken++];
        buffer.Clear();
        return buffer;
    }

    /// <summary>Keeps the set for the next writer, or gives its storage back to the pool if a set is kept already.</summary>
    public void Return()
    {
        _taken = 0;
        foreach (var buffer in _buffers)
        {
            buffer.Clear();
        }

        if (Interlocked.CompareExchange(ref s_spare, this, null) is not null)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers)
        {
            buffer.Dispose();
        }

        _buffers.Clear();
        _taken = 0;
    }
}
