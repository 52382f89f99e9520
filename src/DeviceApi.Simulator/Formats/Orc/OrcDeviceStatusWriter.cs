using System.Text;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// Writes result rows as an ORC file (format 0.12): ZLIB compression, RLE v2 integers, DIRECT_V2 strings,
/// timestamps with writer time zone UTC, one stripe per <see cref="OrcWriterOptions.RowsPerStripe"/> rows.
/// Memory is bounded by one stripe's uncompressed streams, in buffers that the next writer reuses
/// (<see cref="StripeBufferSet"/>); the output stream needs no seeking.
/// </summary>
// About 500 lines in one class, as the ORC format needs: every column writes its streams into one stripe's shared buffers.
public sealed class OrcDeviceStatusWriter : IResultFileWriter
{
    private const long OrcEpochSeconds = 1_420_070_400;
    private const string SoftwareVersion = "DeviceApi.Simulator ORC writer";

    private const ulong StructKind = 12, StringKind = 7, TimestampKind = 9, DoubleKind = 6, IntKind = 3;
    private const ulong DirectEncoding = 0, DirectV2Encoding = 2;
    private const ulong PresentStream = 0, DataStream = 1, LengthStream = 2, SecondaryStream = 5;
    private const int ColumnCount = 8;

    // ORC-135: timestamp statistics are in UTC, which is what this writer records.
    private const uint WriterVersion = 6;

    private static readonly string[] FieldNames =
        ["device_id", "timestamp", "status", "battery_pct", "temperature_c", "signal_dbm", "firmware"];

    private static readonly ulong[] ColumnEncodings =
        [DirectEncoding, DirectV2Encoding, DirectV2Encoding, DirectV2Encoding, DirectEncoding, DirectEncoding, DirectV2Encoding, DirectV2Encoding];

    private readonly Stream _output;
    private readonly OrcWriterOptions _options;
    private readonly ZlibChunkWriter _compressor;

    private readonly StripeBufferSet _buffers;
    private readonly StringColumn _deviceId;
    private readonly TimestampColumn _timestamp;
    private readonly StringColumn _status;
    private readonly DoubleColumn _battery;
    private readonly DoubleColumn _temperature;
    private readonly IntColumn _signal;
    private readonly StringColumn _firmware;
    private readonly ColumnStatisticsBuilder _rootStripeStatistics = new(StatisticsKind.None);

    private readonly ColumnStatisticsBuilder[] _fileStatistics =
    [
        new(StatisticsKind.None), new(StatisticsKind.String), new(StatisticsKind.Timestamp), new(StatisticsKind.String),
        new(StatisticsKind.Double), new(StatisticsKind.Double), new(StatisticsKind.Integer), new(StatisticsKind.String),
    ];

    private readonly ByteBuffer _pending;
    private readonly ProtoWriter _message = new();
    private readonly ProtoWriter _nested = new();
    private readonly ProtoWriter _scratch = new();
    private readonly List<byte[]> _stripeInformation = [];
    private readonly List<byte[]> _stripeStatistics = [];

    private long _position;
    private int _stripeRows;
    private ulong _totalRows;
    private bool _completed;
    private bool _disposed;

    public OrcDeviceStatusWriter(Stream output)
        : this(output, new OrcWriterOptions())
    {
    }

    public OrcDeviceStatusWriter(Stream output, OrcWriterOptions options)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowsPerStripe, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CompressionBlockSize, 1024);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.CompressionBlockSize, (1 << 23) - 1);
        _output = output;
        _options = options;
        _compressor = new ZlibChunkWriter(options.CompressionBlockSize, options.CompressionLevel);
        _buffers = StripeBufferSet.Rent();
        _pending = _buffers.Next(1 << 16);
        _deviceId = new StringColumn(1, _buffers);
        _timestamp = new TimestampColumn(2, _buffers);
        _status = new StringColumn(3, _buffers);
        _battery = new DoubleColumn(4, _buffers);
        _temperature = new DoubleColumn(5, _buffers);
        _signal = new IntColumn(6, _buffers);
        _firmware = new StringColumn(7, _buffers);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        while (!rows.IsEmpty)
        {
            var taken = Append(rows.Span);
            rows = rows[taken..];
            if (_stripeRows == _options.RowsPerStripe)
            {
                await FlushStripeAsync(cancellationToken);
            }
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_stripeRows > 0)
        {
            await FlushStripeAsync(cancellationToken);
        }

        EnsureHeader();
        WriteTail();
        await WritePendingAsync(cancellationToken);
        await _output.FlushAsync(cancellationToken);
        _completed = true;
    }

    /// <summary>Releases the writer's buffers; without <see cref="CompleteAsync"/> first the file stays incomplete.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _buffers.Return();
            _message.Dispose();
            _nested.Dispose();
            _scratch.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private void ThrowIfClosed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_completed)
        {
            throw new InvalidOperationException("The ORC file is already complete.");
        }
    }

    private int Append(ReadOnlySpan<DeviceStatusRow> rows)
    {
        var count = Math.Min(rows.Length, _options.RowsPerStripe - _stripeRows);
        foreach (ref readonly var row in rows[..count])
        {
            _deviceId.Add(row.DeviceId);
            _timestamp.Add(row.Timestamp);
            _status.Add(row.Status);
            _battery.Add(row.BatteryPct);
            _temperature.Add(row.TemperatureC);
            _signal.Add(row.SignalDbm);
            _firmware.Add(row.Firmware);
        }

        _stripeRows += count;
        return count;
    }

    private void EnsureHeader()
    {
        if (_position == 0 && _pending.Length == 0)
        {
            _pending.Add("ORC"u8);
        }
    }

    private async ValueTask FlushStripeAsync(CancellationToken cancellationToken)
    {
        EnsureHeader();
        var stripeOffset = _position + _pending.Length;
        var streams = new StreamWriter[]
        {
            _deviceId.Data(), _deviceId.Lengths(),
            _timestamp.Seconds(), _timestamp.Nanos(),
            _status.Data(), _status.Lengths(),
            _battery.Present(), _battery.Data(),
            _temperature.Present(), _temperature.Data(),
            _signal.Present(), _signal.Data(),
            _firmware.Data(), _firmware.Lengths(),
        };

        // Each stream goes out as soon as it is compressed, so the compressed stripe is never held whole.
        _message.Clear();
        long dataLength = 0;
        foreach (var stream in streams)
        {
            var length = _compressor.Write(stream.Buffer.Span, _pending);
            stream.Buffer.Clear();
            dataLength += length;
            _nested.Clear();
            _nested.UInt64(1, stream.Kind);
            _nested.UInt64(2, (ulong)stream.Column);
            _nested.UInt64(3, (ulong)length);
            _message.Message(1, _nested);
            await WritePendingAsync(cancellationToken);
        }

        foreach (var encoding in ColumnEncodings)
        {
            _nested.Clear();
            _nested.UInt64(1, encoding);
            _message.Message(2, _nested);
        }

        _message.String(3, "UTC");
        var footerLength = _compressor.Write(_message.Buffer.Span, _pending);

        _message.Clear();
        _message.UInt64(1, (ulong)stripeOffset);
        _message.UInt64(2, 0);
        _message.UInt64(3, (ulong)dataLength);
        _message.UInt64(4, (ulong)footerLength);
        _message.UInt64(5, (ulong)_stripeRows);
        _stripeInformation.Add(_message.Buffer.ToArray());

        _rootStripeStatistics.Reset();
        _rootStripeStatistics.AddValues((ulong)_stripeRows);

        ColumnStatisticsBuilder[] stripeStatistics =
        [
            _rootStripeStatistics, _deviceId.Statistics, _timestamp.Statistics, _status.Statistics,
            _battery.Statistics, _temperature.Statistics, _signal.Statistics, _firmware.Statistics,
        ];
        _message.Clear();
        for (var column = 0; column < ColumnCount; column++)
        {
            _nested.Clear();
            stripeStatistics[column].WriteTo(_nested, _scratch);
            _message.Message(1, _nested);
            _fileStatistics[column].Merge(stripeStatistics[column]);
            stripeStatistics[column].Reset();
        }

        _stripeStatistics.Add(_message.Buffer.ToArray());
        _totalRows += (ulong)_stripeRows;
        _stripeRows = 0;

        await WritePendingAsync(cancellationToken);
    }

    private async ValueTask WritePendingAsync(CancellationToken cancellationToken)
    {
        await _output.WriteAsync(_pending.Memory, cancellationToken);
        _position += _pending.Length;
        _pending.Clear();
    }

    private void WriteTail()
    {
        var contentLength = _position + _pending.Length;

        _message.Clear();
        foreach (var stripe in _stripeStatistics)
        {
            _message.Bytes(1, stripe);
        }

        var metadataLength = _compressor.Write(_message.Buffer.Span, _pending);

        _message.Clear();
        _message.UInt64(1, 3);
        _message.UInt64(2, (ulong)contentLength);
        foreach (var stripe in _stripeInformation)
        {
            _message.Bytes(3, stripe);
        }

        _nested.Clear();
        _nested.UInt64(1, StructKind);
        _nested.PackedUInt32(2, [1, 2, 3, 4, 5, 6, 7]);
        foreach (var name in FieldNames)
        {
            _nested.String(3, name);
        }

        _message.Message(4, _nested);
        foreach (var kind in (ReadOnlySpan<ulong>)[StringKind, TimestampKind, StringKind, DoubleKind, DoubleKind, IntKind, StringKind])
        {
            _nested.Clear();
            _nested.UInt64(1, kind);
            _message.Message(4, _nested);
        }

        _message.UInt64(6, _totalRows);
        foreach (var statistics in _fileStatistics)
        {
            _nested.Clear();
            statistics.WriteTo(_nested, _scratch);
            _message.Message(7, _nested);
        }

        _message.UInt64(8, 0);
        _message.String(12, SoftwareVersion);
        var footerLength = _compressor.Write(_message.Buffer.Span, _pending);

        _message.Clear();
        _message.UInt64(1, (ulong)footerLength);
        _message.UInt64(2, 1);
        _message.UInt64(3, (ulong)_compressor.BlockSize);
        _message.PackedUInt32(4, [0, 12]);
        _message.UInt64(5, (ulong)metadataLength);
        _message.UInt64(6, WriterVersion);
        _message.String(8000, "ORC");
        _pending.Add(_message.Buffer.Span);
        _pending.Add((byte)_message.Buffer.Length);
    }

    private readonly record struct StreamWriter(ulong Kind, int Column, ByteBuffer Buffer);

    private sealed class StringColumn
    {
        private readonly int _column;
        private readonly ByteBuffer _data;
        private readonly ByteBuffer _lengths;
        private readonly IntegerRleV2Writer _lengthRle;

        public StringColumn(int column, StripeBufferSet buffers)
        {
            _column = column;
            _data = buffers.Next(1 << 16);
            _lengths = buffers.Next(1 << 12);
            _lengthRle = new IntegerRleV2Writer(_lengths, signed: false);
        }

        public ColumnStatisticsBuilder Statistics { get; } = new(StatisticsKind.String);

        public void Add(string value)
        {
            ArgumentNullException.ThrowIfNull(value);
            var length = Encoding.UTF8.GetBytes(value, _data.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
            _data.Advance(length);
            _lengthRle.Write(length);
            Statistics.Add(value, length);
        }

        public StreamWriter Data() => new(DataStream, _column, _data);

        public StreamWriter Lengths()
        {
            _lengthRle.Flush();
            return new(LengthStream, _column, _lengths);
        }
    }

    private sealed class TimestampColumn
    {
        private const long TicksPerSecond = TimeSpan.TicksPerSecond;
        private readonly int _column;
        private readonly ByteBuffer _seconds;
        private readonly ByteBuffer _nanos;
        private readonly IntegerRleV2Writer _secondsRle;
        private readonly IntegerRleV2Writer _nanosRle;

        public TimestampColumn(int column, StripeBufferSet buffers)
        {
            _column = column;
            _seconds = buffers.Next(1 << 12);
            _nanos = buffers.Next(1 << 12);
            _secondsRle = new IntegerRleV2Writer(_seconds, signed: true);
            _nanosRle = new IntegerRleV2Writer(_nanos, signed: false);
        }

        public ColumnStatisticsBuilder Statistics { get; } = new(StatisticsKind.Timestamp);

        public void Add(DateTime value)
        {
            if (value.Kind == DateTimeKind.Local)
            {
                value = value.ToUniversalTime();
            }

            var ticks = value.Ticks - DateTime.UnixEpoch.Ticks;
            var seconds = Math.DivRem(ticks, TicksPerSecond, out var remainder);
            if (remainder < 0)
            {
                seconds--;
                remainder += TicksPerSecond;
            }

            var nanos = (int)remainder * 100;

            // Readers subtract a second from negative seconds that carry a nanosecond part of at least one
            // millisecond (the Java writer truncates towards zero), so the stored value compensates. As with the
            // reference writers, an instant within the last second before 1970 cannot be represented this way.
            var stored = seconds < 0 && nanos > 999_999 ? seconds + 1 : seconds;
            _secondsRle.Write(stored - OrcEpochSeconds);
            _nanosRle.Write(EncodeNanos(nanos));
            Statistics.AddTimestampTicks(ticks);
        }

        public StreamWriter Seconds()
        {
            _secondsRle.Flush();
            return new(DataStream, _column, _seconds);
        }

        public StreamWriter Nanos()
        {
            _nanosRle.Flush();
            return new(SecondaryStream, _column, _nanos);
        }

        /// <summary>Trailing decimal zeros go into the low three bits, so whole microseconds stay small.</summary>
        internal static long EncodeNanos(int nanos)
        {
            if (nanos == 0)
            {
                return 0;
            }

            if (nanos % 100 != 0)
            {
                return (long)nanos << 3;
            }

            nanos /= 100;
            var zeros = 1;
            while (nanos % 10 == 0 && zeros < 7)
            {
                nanos /= 10;
                zeros++;
            }

            return ((long)nanos << 3) | (long)zeros;
        }
    }

    private sealed class DoubleColumn
    {
        private readonly int _column;
        private readonly ByteBuffer _present;
        private readonly ByteBuffer _data;
        private readonly BooleanRleWriter _presentRle;

        public DoubleColumn(int column, StripeBufferSet buffers)
        {
            _column = column;
            _present = buffers.Next(1 << 10);
            _data = buffers.Next(1 << 16);
            _presentRle = new BooleanRleWriter(_present);
        }

        public ColumnStatisticsBuilder Statistics { get; } = new(StatisticsKind.Double);

        public void Add(double? value)
        {
            _presentRle.Write(value.HasValue);
            if (value is { } v)
            {
                _data.AddDoubleLittleEndian(v);
                Statistics.Add(v);
            }
            else
            {
                Statistics.AddNull();
            }
        }

        public StreamWriter Present()
        {
            _presentRle.Flush();
            return new(PresentStream, _column, _present);
        }

        public StreamWriter Data() => new(DataStream, _column, _data);
    }

    private sealed class IntColumn
    {
        private readonly int _column;
        private readonly ByteBuffer _present;
        private readonly ByteBuffer _data;
        private readonly BooleanRleWriter _presentRle;
        private readonly IntegerRleV2Writer _dataRle;

        public IntColumn(int column, StripeBufferSet buffers)
        {
            _column = column;
            _present = buffers.Next(1 << 10);
            _data = buffers.Next(1 << 12);
            _presentRle = new BooleanRleWriter(_present);
            _dataRle = new IntegerRleV2Writer(_data, signed: true);
        }

        public ColumnStatisticsBuilder Statistics { get; } = new(StatisticsKind.Integer);

        public void Add(int? value)
        {
            _presentRle.Write(value.HasValue);
            if (value is { } v)
            {
                _dataRle.Write(v);
                Statistics.Add(v);
            }
            else
            {
                Statistics.AddNull();
            }
        }

        public StreamWriter Present()
        {
            _presentRle.Flush();
            return new(PresentStream, _column, _present);
        }

        public StreamWriter Data()
        {
            _dataRle.Flush();
            return new(DataStream, _column, _data);
        }
    }
}
