namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// ORC's run length encoding version 2 for integers. Runs of equal values become SHORT_REPEAT or a fixed
/// DELTA; everything else is cut into blocks of up to 512 values, each written as DELTA when the values are
/// monotonic and that is smaller, otherwise as DIRECT. PATCHED_BASE is never written: readers must decode
/// it, writers may do without it.
/// </summary>
internal sealed class IntegerRleV2Writer(ByteBuffer output, bool signed)
{
    private const int MaxRun = 512;
    private const int MinRepeat = 3;
    private const int MaxShortRepeat = 10;

    // A run this long pays for cutting the pending block in two.
    private const int RunWorthCutting = 8;

    private readonly long[] _values = new long[MaxRun];
    private int _count;
    private int _tailRun;

    public void Write(long value)
    {
        if (_count > 0 && value == _values[_count - 1])
        {
            _tailRun++;
        }
        else
        {
            if (_tailRun >= RunWorthCutting && _tailRun == _count)
            {
                WriteRun(_values[0], _count);
                _count = 0;
            }

            _tailRun = 1;
        }

        _values[_count++] = value;

        if (_tailRun == RunWorthCutting && _count > _tailRun)
        {
            WriteBlock(_values.AsSpan(0, _count - _tailRun));
            Array.Fill(_values, value, 0, _tailRun);
            _count = _tailRun;
        }

        if (_count == MaxRun)
        {
            Flush();
        }
    }

    /// <summary>Writes what is pending; the next value starts a new run.</summary>
    public void Flush()
    {
        if (_count == 0)
        {
            return;
        }

        if (_tailRun == _count && _count >= MinRepeat)
        {
            WriteRun(_values[0], _count);
        }
        else
        {
            WriteBlock(_values.AsSpan(0, _count));
        }

        _count = 0;
        _tailRun = 0;
    }

    private ulong Encode(long value) => signed ? (ulong)((value << 1) ^ (value >> 63)) : (ulong)value;

    private void WriteRun(long value, int length)
    {
        if (length <= MaxShortRepeat)
        {
            var encoded = Encode(value);
            var bytes = Math.Max(1, (64 - System.Numerics.BitOperations.LeadingZeroCount(encoded) + 7) / 8);
            output.Add((byte)(((bytes - 1) << 3) | (length - MinRepeat)));
            for (var shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
            {
                output.Add((byte)(encoded >> shift));
            }

            return;
        }

        // DELTA with a fixed delta of zero.
        var header = (3 << 14) | (length - 1);
        output.Add((byte)(header >> 8));
        output.Add((byte)header);
        AddBase(value);
        output.AddVarint(0);
    }

    private void WriteBlock(ReadOnlySpan<long> values)
    {
        var maxEncoded = 0UL;
        foreach (var value in values)
        {
            maxEncoded |= Encode(value);
        }

        var directWidth = BitWidth.ClosestFixed(BitWidth.Of(maxEncoded));
        var directSize = 2 + ((values.Length * directWidth) + 7) / 8;

        if (values.Length >= MinRepeat && TryDeltaWidth(values, out var deltaWidth, out var firstDelta))
        {
            var deltaSize = 2 + VarintSize(Encode(values[0])) + VarintSize(ZigZag(firstDelta)) + (((values.Length - 2) * deltaWidth) + 7) / 8;
            if (deltaSize < directSize)
            {
                WriteDelta(values, deltaWidth, firstDelta);
                return;
            }
        }

        var header = (1 << 14) | (BitWidth.Encode(directWidth) << 9) | (values.Length - 1);
        output.Add((byte)(header >> 8));
        output.Add((byte)header);
        var packer = new BitPacker(output, directWidth);
        foreach (var value in values)
        {
            packer.Add(Encode(value));
        }

        packer.Finish();
    }

    private static bool TryDeltaWidth(ReadOnlySpan<long> values, out int width, out long firstDelta)
    {
        width = 0;
        firstDelta = 0;
        if (!TrySubtract(values[1], values[0], out firstDelta))
        {
            return false;
        }

        var increasing = firstDelta >= 0;
        var fixedDelta = true;
        var maxAbs = 0UL;
        for (var i = 2; i < values.Length; i++)
        {
            if (!TrySubtract(values[i], values[i - 1], out var delta) || delta == long.MinValue)
            {
                return false;
            }

            // A reader takes the direction of the whole run from the first delta's sign.
            if (increasing ? delta < 0 : delta > 0)
            {
                return false;
            }

            fixedDelta &= delta == firstDelta;
            maxAbs |= (ulong)Math.Abs(delta);
        }

        if (!fixedDelta)
        {
            // Width 1 would be encoded as 0, which readers take for "fixed delta".
            width = Math.Max(2, BitWidth.ClosestFixed(BitWidth.Of(maxAbs)));
        }

        return true;
    }

    private void WriteDelta(ReadOnlySpan<long> values, int width, long firstDelta)
    {
        var header = (3 << 14) | ((width == 0 ? 0 : BitWidth.Encode(width)) << 9) | (values.Length - 1);
        output.Add((byte)(header >> 8));
        output.Add((byte)header);
        AddBase(values[0]);
        output.AddVarint(ZigZag(firstDelta));
        if (width == 0)
        {
            return;
        }

        var packer = new BitPacker(output, width);
        for (var i = 2; i < values.Length; i++)
        {
            packer.Add((ulong)Math.Abs(values[i] - values[i - 1]));
        }

        packer.Finish();
    }

    private void AddBase(long value) => output.AddVarint(Encode(value));

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static int VarintSize(ulong value) => Math.Max(1, (BitWidth.Of(value) + 6) / 7);

    private static bool TrySubtract(long a, long b, out long result)
    {
        result = unchecked(a - b);
        return ((a ^ b) & (a ^ result)) >= 0;
    }
}

/// <summary>Packs fixed-width values most significant bit first, as all ORC bit-packed runs are.</summary>
internal ref struct BitPacker(ByteBuffer output, int width)
{
    private ulong _pending;
    private int _pendingBits;

    public void Add(ulong value)
    {
        if (width == 64)
        {
            for (var shift = 56; shift >= 0; shift -= 8)
            {
                output.Add((byte)(value >> shift));
            }

            return;
        }

        _pending = (_pending << width) | (value & ((1UL << width) - 1));
        _pendingBits += width;
        while (_pendingBits >= 8)
        {
            _pendingBits -= 8;
            output.Add((byte)(_pending >> _pendingBits));
        }
    }

    public readonly void Finish()
    {
        if (_pendingBits > 0)
        {
            output.Add((byte)(_pending << (8 - _pendingBits)));
        }
    }
}
