namespace DeviceApi.Simulator.Formats.Orc;

internal enum StatisticsKind
{
    None,
    Integer,
    Double,
    String,
    Timestamp,
}

/// <summary>Per-column statistics of one stripe or of the whole file, as ORC's ColumnStatistics message.</summary>
internal sealed class ColumnStatisticsBuilder(StatisticsKind kind)
{
    // Java and C++ writers leave longer strings out of min/max rather than store them whole.
    private const int MaxStringStatisticBytes = 1024;

    private long _intMin = long.MaxValue;
    private long _intMax = long.MinValue;
    private long _intSum;
    private bool _intSumOverflow;
    private double _doubleMin = double.PositiveInfinity;
    private double _doubleMax = double.NegativeInfinity;
    private double _doubleSum;
    private string? _stringMin;
    private string? _stringMax;
    private long _stringBytes;
    private bool _stringTooLong;

    public ulong Count { get; private set; }

    public bool HasNull { get; private set; }

    public void AddNull() => HasNull = true;

    public void AddValues(ulong count) => Count += count;

    public void Add(long value)
    {
        Count++;
        _intMin = Math.Min(_intMin, value);
        _intMax = Math.Max(_intMax, value);
        if (!_intSumOverflow)
        {
            var sum = unchecked(_intSum + value);
            _intSumOverflow = ((_intSum ^ sum) & (value ^ sum)) < 0;
            _intSum = sum;
        }
    }

    public void Add(double value)
    {
        Count++;
        if (value < _doubleMin)
        {
            _doubleMin = value;
        }

        if (value > _doubleMax)
        {
            _doubleMax = value;
        }

        _doubleSum += value;
    }

    public void Add(string value, int utf8Length)
    {
        Count++;
        _stringBytes += utf8Length;
        if (utf8Length > MaxStringStatisticBytes)
        {
            _stringTooLong = true;
        }
        else if (!ReferenceEquals(value, _stringMin) && !ReferenceEquals(value, _stringMax))
        {
            if (_stringMin is null || CompareUtf8Order(value, _stringMin) < 0)
            {
                _stringMin = value;
            }

            if (_stringMax is null || CompareUtf8Order(value, _stringMax) > 0)
            {
                _stringMax = value;
            }
        }
    }

    /// <summary>Adds a timestamp given as 100 ns ticks since 1970 UTC.</summary>
    public void AddTimestampTicks(long ticks)
    {
        Count++;
        _intMin = Math.Min(_intMin, ticks);
        _intMax = Math.Max(_intMax, ticks);
    }

    public void Merge(ColumnStatisticsBuilder other)
    {
        Count += other.Count;
        HasNull |= other.HasNull;
        _intMin = Math.Min(_intMin, other._intMin);
        _intMax = Math.Max(_intMax, other._intMax);
        _intSumOverflow |= other._intSumOverflow;
        if (!_intSumOverflow)
        {
            var sum = unchecked(_intSum + other._intSum);
            _intSumOverflow = ((_intSum ^ sum) & (other._intSum ^ sum)) < 0;
            _intSum = sum;
        }

        _doubleMin = Math.Min(_doubleMin, other._doubleMin);
        _doubleMax = Math.Max(_doubleMax, other._doubleMax);
        _doubleSum += other._doubleSum;
        _stringBytes += other._stringBytes;
        _stringTooLong |= other._stringTooLong;
        if (other._stringMin is not null && (_stringMin is null || CompareUtf8Order(other._stringMin, _stringMin) < 0))
        {
            _stringMin = other._stringMin;
        }

        if (other._stringMax is not null && (_stringMax is null || CompareUtf8Order(other._stringMax, _stringMax) > 0))
        {
            _stringMax = other._stringMax;
        }
    }

    public void Reset()
    {
        Count = 0;
        HasNull = false;
        _intMin = long.MaxValue;
        _intMax = long.MinValue;
        _intSum = 0;
        _intSumOverflow = false;
        _doubleMin = double.PositiveInfinity;
        _doubleMax = double.NegativeInfinity;
        _doubleSum = 0;
        _stringMin = null;
        _stringMax = null;
        _stringBytes = 0;
        _stringTooLong = false;
    }

    public void WriteTo(ProtoWriter message, ProtoWriter scratch)
    {
        message.UInt64(1, Count);
        if (Count > 0)
        {
            scratch.Clear();
            switch (kind)
            {
                case StatisticsKind.Integer:
                    scratch.SInt64(1, _intMin);
                    scratch.SInt64(2, _intMax);
                    if (!_intSumOverflow)
                    {
                        scratch.SInt64(3, _intSum);
                    }

                    message.Message(2, scratch);
                    break;
                case StatisticsKind.Double:
                    scratch.Double(1, _doubleMin);
                    scratch.Double(2, _doubleMax);
                    scratch.Double(3, _doubleSum);
                    message.Message(3, scratch);
                    break;
                case StatisticsKind.String:
                    if (!_stringTooLong && _stringMin is not null && _stringMax is not null)
                    {
                        scratch.String(1, _stringMin);
                        scratch.String(2, _stringMax);
                    }

                    scratch.SInt64(3, _stringBytes);
                    message.Message(4, scratch);
                    break;
                case StatisticsKind.Timestamp:
                    // Milliseconds in minimumUtc/maximumUtc, the rest of the nanoseconds plus one in
                    // minimumNanos/maximumNanos; readers take a missing one as 0 and 999,999.
                    var (minMillis, minNanos) = SplitTicks(_intMin);
                    var (maxMillis, maxNanos) = SplitTicks(_intMax);
                    scratch.SInt64(3, minMillis);
                    scratch.SInt64(4, maxMillis);
                    if (minNanos != 0)
                    {
                        scratch.UInt64(5, (ulong)minNanos + 1);
                    }

                    if (maxNanos != 999_999)
                    {
                        scratch.UInt64(6, (ulong)maxNanos + 1);
                    }

                    message.Message(9, scratch);
                    break;
                case StatisticsKind.None:
                default:
                    break;
            }
        }

        message.Bool(10, HasNull);
    }

    private static (long Millis, int Nanos) SplitTicks(long ticks)
    {
        var millis = Math.DivRem(ticks, TimeSpan.TicksPerMillisecond, out var remainder);
        if (remainder < 0)
        {
            millis--;
            remainder += TimeSpan.TicksPerMillisecond;
        }

        return (millis, (int)remainder * 100);
    }

    /// <summary>Orders strings as their UTF-8 bytes compare, which is how ORC readers interpret string bounds.</summary>
    internal static int CompareUtf8Order(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return CodePointOrderKey(a[i]) - CodePointOrderKey(b[i]);
            }
        }

        return a.Length - b.Length;
    }

    // UTF-16 puts surrogates (supplementary characters) below U+E000..U+FFFF; UTF-8 puts them above.
    private static int CodePointOrderKey(char c) => c >= 0xE000 ? c - 0x800 : c >= 0xD800 ? c + 0x2000 : c;
}
