using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>An append-only byte buffer that keeps its storage between stripes.</summary>
internal sealed class ByteBuffer(int initialCapacity = 4096)
{
    private byte[] _data = new byte[Math.Max(16, initialCapacity)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _data.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => _data.AsMemory(0, Length);

    public void Clear() => Length = 0;

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

    private void Grow(int needed)
    {
        var size = Math.Max(_data.Length * 2, Length + needed);
        Array.Resize(ref _data, size);
    }
}
