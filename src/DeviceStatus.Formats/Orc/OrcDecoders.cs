using System.Buffers.Binary;

namespace DeviceStatus.Formats.Orc;

/// <summary>A decompressed stream, <c>Data[Position..End]</c> still to read.</summary>
internal sealed class StreamCursor(byte[] data, int start, int end)
{
    public StreamCursor(byte[] data)
        : this(data, 0, data.Length)
    {
    }

    public byte[] Data { get; } = data;

    public int Position { get; set; } = start;

    public int End { get; } = end;

    public byte ReadByte()
    {
        if (Position >= End)
        {
            throw new InvalidDataException("Read past the end of an ORC stream.");
        }

        return Data[Position++];
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if ((uint)count > (uint)(End - Position))
        {
            throw new InvalidDataException("Read past the end of an ORC stream.");
        }

        var span = Data.AsSpan(Position, count);
        Position += count;
        return span;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("Malformed varint in an ORC stream.");
    }

    public long ReadSignedVarint() => UnZigZag(ReadVarint());

    /// <summary>Decimal digits are varints of up to 128 bits.</summary>
    public Int128 ReadSignedVarint128()
    {
        UInt128 result = 0;
        for (var shift = 0; shift < 128; shift += 7)
        {
            var b = ReadByte();
            result |= (UInt128)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (Int128)(result >> 1) ^ -(Int128)(result & 1);
            }
        }

        throw new InvalidDataException("Malformed decimal varint in an ORC stream.");
    }

    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(ReadBytes(8));

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(ReadBytes(4));

    public ulong ReadBigEndian(int bytes)
    {
        ulong value = 0;
        for (var i = 0; i < bytes; i++)
        {
            value = (value << 8) | ReadByte();
        }

        return value;
    }

    /// <summary>Big-endian bit-packed values; a run ends on a byte boundary.</summary>
    public void Unpack(Span<long> values, int width)
    {
        var bytes = ReadBytes(checked((int)(((long)values.Length * width + 7) / 8)));
        if (width == 64)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadInt64BigEndian(bytes[(i * 8)..]);
            }

            return;
        }

        if (width == 8)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = bytes[i];
            }

            return;
        }

        ulong pending = 0;
        var pendingBits = 0;
        var next = 0;
        var mask = (1UL << width) - 1;
        for (var i = 0; i < values.Length; i++)
        {
            while (pendingBits < width)
            {
                pending = (pending << 8) | bytes[next++];
                pendingBits += 8;
            }

            pendingBits -= width;
            values[i] = (long)((pending >> pendingBits) & mask);
        }
    }

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}

/// <summary>Reads an integer stream run by run; the encodings differ only in how they decode a run.</summary>
internal abstract class IntegerReader(int maxRunLength)
{
    private int _index;

    /// <summary>The current run, <see cref="Count"/> values long.</summary>
    protected long[] Values { get; } = new long[maxRunLength];

    protected int Count { get; set; }

    public long Next()
    {
        if (_index == Count)
        {
            NextRun();
        }

        return Values[_index++];
    }

    /// <summary>Fills <paramref name="destination"/> with the next values.</summary>
    public void Read(Span<long> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_index == Count)
            {
                NextRun();
            }

            var available = Math.Min(Count - _index, destination.Length);
            Values.AsSpan(_index, available).CopyTo(destination);
            _index += available;
            destination = destination[available..];
        }
    }

    /// <summary>Decodes the next run into <see cref="Values"/> and sets <see cref="Count"/>.</summary>
    protected abstract void ReadRun();

    private void NextRun()
    {
        _index = 0;
        ReadRun();
    }

    public static IntegerReader Create(StreamCursor cursor, bool signed, bool version2) =>
        version2 ? new IntegerRleV2Reader(cursor, signed) : new IntegerRleV1Reader(cursor, signed);
}

internal sealed class IntegerRleV1Reader(StreamCursor input, bool signed) : IntegerReader(130)
{
    protected override void ReadRun()
    {
        var control = (sbyte)input.ReadByte();
        if (control >= 0)
        {
            Count = control + 3;
            var delta = (sbyte)input.ReadByte();
            var value = ReadValue();
            for (var i = 0; i < Count; i++)
            {
                Values[i] = value + (i * delta);
            }
        }
        else
        {
            Count = -control;
            for (var i = 0; i < Count; i++)
            {
                Values[i] = ReadValue();
            }
        }
    }

    private long ReadValue() => signed ? input.ReadSignedVarint() : (long)input.ReadVarint();
}

internal sealed class IntegerRleV2Reader(StreamCursor input, bool signed) : IntegerReader(512)
{
    private readonly long[] _patches = new long[32];

    protected override void ReadRun()
    {
        int first = input.ReadByte();
        switch (first >> 6)
        {
            case 0:
                ReadShortRepeat(first);
                break;
            case 1:
                ReadDirect(first);
                break;
            case 2:
                ReadPatchedBase(first);
                break;
            default:
                ReadDelta(first);
                break;
        }
    }

    private long Decode(ulong raw) => signed ? StreamCursor.UnZigZag(raw) : (long)raw;

    private int ReadLength(int first) => (((first & 1) << 8) | input.ReadByte()) + 1;

    private void ReadShortRepeat(int first)
    {
        var width = ((first >> 3) & 7) + 1;
        Count = (first & 7) + 3;
        var value = Decode(input.ReadBigEndian(width));
        Values.AsSpan(0, Count).Fill(value);
    }

    private void ReadDirect(int first)
    {
        var width = BitWidth.Decode((first >> 1) & 0x1F);
        Count = ReadLength(first);
        var values = Values.AsSpan(0, Count);
        input.Unpack(values, width);
        if (signed)
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = StreamCursor.UnZigZag((ulong)values[i]);
            }
        }
    }

    private void ReadDelta(int first)
    {
        var code = (first >> 1) & 0x1F;
        var width = code == 0 ? 0 : BitWidth.Decode(code);
        Count = ReadLength(first);
        var value = signed ? input.ReadSignedVarint() : (long)input.ReadVarint();
        var delta = input.ReadSignedVarint();
        Values[0] = value;
        if (width == 0)
        {
            for (var i = 1; i < Count; i++)
            {
                Values[i] = Values[i - 1] + delta;
            }

            return;
        }

        Values[1] = value + delta;
        var rest = Values.AsSpan(2, Count - 2);
        input.Unpack(rest, width);
        for (var i = 2; i < Count; i++)
        {
            Values[i] = delta < 0 ? Values[i - 1] - Values[i] : Values[i - 1] + Values[i];
        }
    }

    private void ReadPatchedBase(int first)
    {
        var width = BitWidth.Decode((first >> 1) & 0x1F);
        Count = ReadLength(first);
        int third = input.ReadByte();
        var baseBytes = ((third >> 5) & 7) + 1;
        var patchWidth = BitWidth.Decode(third & 0x1F);
        int fourth = input.ReadByte();
        var gapWidth = ((fourth >> 5) & 7) + 1;
        var patchCount = fourth & 0x1F;

        var rawBase = input.ReadBigEndian(baseBytes);
        var signBit = 1UL << ((baseBytes * 8) - 1);
        var baseValue = (rawBase & signBit) != 0 ? -(long)(rawBase & ~signBit) : (long)rawBase;

        var values = Values.AsSpan(0, Count);
        input.Unpack(values, width);
        var patches = _patches.AsSpan(0, patchCount);
        input.Unpack(patches, BitWidth.ClosestFixed(patchWidth + gapWidth));

        var patchMask = (1L << patchWidth) - 1;
        var patchIndex = 0;
        long gap = 0;
        long patch = 0;
        var nextPatchAt = -1L;
        if (patchCount > 0)
        {
            (gap, patch, patchIndex) = NextPatch(patches, patchIndex, patchWidth, patchMask);
            nextPatchAt = gap;
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (i == nextPatchAt)
            {
                values[i] = baseValue + (values[i] | (patch << width));
                if (patchIndex < patchCount)
                {
                    (gap, patch, patchIndex) = NextPatch(patches, patchIndex, patchWidth, patchMask);
                    nextPatchAt = i + gap;
                }
                else
                {
                    nextPatchAt = -1;
                }
            }
            else
            {
                values[i] = baseValue + values[i];
            }
        }
    }

    /// <summary>Gaps longer than 255 are spelled as entries of gap 255 with an empty patch.</summary>
    private static (long Gap, long Patch, int NextIndex) NextPatch(ReadOnlySpan<long> patches, int index, int patchWidth, long patchMask)
    {
        long gap = 0;
        while (true)
        {
            var entry = patches[index++];
            var entryGap = (long)((ulong)entry >> patchWidth);
            var entryPatch = entry & patchMask;
            gap += entryGap;
            if (entryGap != 255 || entryPatch != 0 || index >= patches.Length)
            {
                return (gap, entryPatch, index);
            }
        }
    }
}

internal sealed class ByteRleReader(StreamCursor input)
{
    private readonly byte[] _values = new byte[130];
    private int _count;
    private int _index;

    public byte Next()
    {
        if (_index == _count)
        {
            var control = (sbyte)input.ReadByte();
            _index = 0;
            if (control >= 0)
            {
                _count = control + 3;
                _values.AsSpan(0, _count).Fill(input.ReadByte());
            }
            else
            {
                _count = -control;
                input.ReadBytes(_count).CopyTo(_values);
            }
        }

        return _values[_index++];
    }
}

internal sealed class BooleanRleReader(StreamCursor input)
{
    private readonly ByteRleReader _bytes = new(input);
    private int _current;
    private int _bitsLeft;

    public bool Next()
    {
        if (_bitsLeft == 0)
        {
            _current = _bytes.Next();
            _bitsLeft = 8;
        }

        _bitsLeft--;
        return ((_current >> _bitsLeft) & 1) != 0;
    }
}

internal static class BitWidth
{
    public static int Of(ulong value) => 64 - System.Numerics.BitOperations.LeadingZeroCount(value);

    /// <summary>The smallest width RLE v2 can express that holds <paramref name="bits"/> bits.</summary>
    public static int ClosestFixed(int bits) => bits switch
    {
        <= 1 => 1,
        <= 24 => bits,
        <= 26 => 26,
        <= 28 => 28,
        <= 30 => 30,
        <= 32 => 32,
        <= 40 => 40,
        <= 48 => 48,
        <= 56 => 56,
        _ => 64,
    };

    public static int Encode(int width) => width switch
    {
        <= 24 => width - 1,
        26 => 24,
        28 => 25,
        30 => 26,
        32 => 27,
        40 => 28,
        48 => 29,
        56 => 30,
        64 => 31,
        _ => throw new ArgumentOutOfRangeException(nameof(width)),
    };

    public static int Decode(int code) => code switch
    {
        <= 23 => code + 1,
        24 => 26,
        25 => 28,
        26 => 30,
        27 => 32,
        28 => 40,
        29 => 48,
        30 => 56,
        _ => 64,
    };
}
