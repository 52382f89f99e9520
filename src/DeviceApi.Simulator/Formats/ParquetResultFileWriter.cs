using Parquet;
using Parquet.Schema;

namespace DeviceApi.Simulator.Formats;

/// <summary>
/// Parquet with Snappy pages: never-null columns REQUIRED, nullable ones OPTIONAL, strings UTF8, <c>timestamp</c>
/// INT64 TIMESTAMP(MICROS, UTC). Rows are buffered up to one row group, which bounds memory.
/// </summary>
public sealed class ParquetResultFileWriter : IResultFileWriter
{
    /// <summary>The columns as the contract defines them.</summary>
    public static ParquetSchema Schema { get; } = new(
        new DataField<string>(ColumnNames.DeviceId, nullable: false),
        new DateTimeDataField(ColumnNames.Timestamp, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: false),
        new DataField<string>(ColumnNames.Status, nullable: false),
        new DataField<double?>(ColumnNames.BatteryPct, nullable: true),
        new DataField<double?>(ColumnNames.TemperatureC, nullable: true),
        new DataField<int?>(ColumnNames.SignalDbm, nullable: true),
        new DataField<string>(ColumnNames.Firmware, nullable: false));

    private const int RowGroupSize = 100_000;

    private readonly Stream _output;
    private ParquetWriter? _writer;
    private readonly string[] _deviceIds = new string[RowGroupSize];
    private readonly DateTime[] _timestamps = new DateTime[RowGroupSize];
    private readonly string[] _statuses = new string[RowGroupSize];
    private readonly double?[] _batteries = new double?[RowGroupSize];
    private readonly double?[] _temperatures = new double?[RowGroupSize];
    private readonly int?[] _signals = new int?[RowGroupSize];
    private readonly string[] _firmwares = new string[RowGroupSize];
    private int _buffered;

    public ParquetResultFileWriter(Stream output) => _output = output;

    public async ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        while (!rows.IsEmpty)
        {
            var count = Math.Min(rows.Length, RowGroupSize - _buffered);
            Buffer(rows.Span[..count]);
            rows = rows[count..];
            if (_buffered == RowGroupSize)
            {
                await WriteRowGroupAsync(cancellationToken);
            }
        }
    }

    private void Buffer(ReadOnlySpan<DeviceStatusRow> rows)
    {
        foreach (ref readonly var row in rows)
        {
            var i = _buffered++;
            _deviceIds[i] = row.DeviceId;
            _timestamps[i] = row.Timestamp;
            _statuses[i] = row.Status;
            _batteries[i] = row.BatteryPct;
            _temperatures[i] = row.TemperatureC;
            _signals[i] = row.SignalDbm;
            _firmwares[i] = row.Firmware;
        }
    }

    private async ValueTask<ParquetWriter> OpenAsync(CancellationToken cancellationToken) =>
        _writer ??= await ParquetWriter.CreateAsync(
            Schema, _output, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, cancellationToken: cancellationToken);

    private async ValueTask WriteRowGroupAsync(CancellationToken cancellationToken)
    {
        var writer = await OpenAsync(cancellationToken);
        var n = _buffered;
        var fields = Schema.DataFields;
        using (var group = writer.CreateRowGroup())
        {
            await group.WriteAsync(fields[0], new ArraySegment<string>(_deviceIds, 0, n));
            await group.WriteAsync<DateTime>(fields[1], _timestamps.AsMemory(0, n), cancellationToken: cancellationToken);
            await group.WriteAsync(fields[2], new ArraySegment<string>(_statuses, 0, n));
            await group.WriteAsync<double>(fields[3], _batteries.AsMemory(0, n), cancellationToken: cancellationToken);
            await group.WriteAsync<double>(fields[4], _temperatures.AsMemory(0, n), cancellationToken: cancellationToken);
            await group.WriteAsync<int>(fields[5], _signals.AsMemory(0, n), cancellationToken: cancellationToken);
            await group.WriteAsync(fields[6], new ArraySegment<string>(_firmwares, 0, n));
        }

        _buffered = 0;
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (_buffered > 0)
        {
            await WriteRowGroupAsync(cancellationToken);
        }

        var writer = await OpenAsync(cancellationToken);
        await writer.DisposeAsync();
        await _output.FlushAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
    }
}
