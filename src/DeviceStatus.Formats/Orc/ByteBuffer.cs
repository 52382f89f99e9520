using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DeviceStatus.Formats.Orc;

/// <summary>
/// An append-only byte buffer that keeps its storage between stripes. Storage comes from the shared array pool
/// and goes back to it on growth and on <see cref="Dispose"/>, so a writer per part reuses the previous part's
/// stripe buffers instead of leaving them on the large object heap.
/// </summary>
internal sealed class ByteBuffer(int initialCapacity = 4096) : IDisposable
{
    private byte[] _data = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _data.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => _data.AsMemory(0, Length);

    /// <summary>The bytes added so far, in the buffer's own storage: valid until it grows or is disposed.</summary>
    public ArraySegment<byte> Segment => new(_data, 0, Length);

    public void Clear() => Length = 0;

    /// <summary>Drops what was added after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)length, (uint)Length, nameof(length));
        Length = length;
    }

    /// <summary>Overwrites bytes already added, e.g. a length prefix known only after its content.</summary>
    public Span<byte> Written(int offset, int count) => _data.AsSpan(0, Length).Slice(offset, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(byte value)
    {
        if (Length == _data.Length)
        {
            Grow(1);
        }

        _data[Length++] = value;
    }

    public void Add(ReadOnlySpan<byte> values)
    {
        values.CopyTo(GetSpan(values.Length));
        Length += values.Length;
    }

    /// <summary>Space for at least <paramref name="size"/> bytes; commit what was used with <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int size)
    {
        if (_data.Length - Length < size)
        {
            Grow(size);
        }

        return _data.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void AddVarint(ulong value)
    {
        var span = GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        Length += i;
    }

    public void AddDoubleLittleEndian(double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(GetSpan(8), value);
        Length += 8;
    }

    /// <summary>The bytes added so far in an array of their own, the pooled storage left to this buffer.</summary>
    public byte[] ToArray() => Span.ToArray();

    public void Dispose()
    {
        var data = _data;
        _data = [];
        Length = 0;
        if (data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(Math.Max(16, _data.Length * 2), Length + needed));
        _data.AsSpan(0, Length).CopyTo(larger);
        if (_data.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_data);
        }

        _data = larger;
    }
}
