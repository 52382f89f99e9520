using System.Buffers;
using Parquet;
using Parquet.Schema;

namespace DeviceApi.Simulator.Formats;

/// <summary>
/// Parquet with Snappy pages: never-null columns REQUIRED, nullable ones OPTIONAL, strings UTF8, <c>timestamp</c>
/// INT64 TIMESTAMP(MICROS, UTC). Rows are buffered up to one row group, which bounds memory.
/// </summary>
/// <remarks>
/// Parquet.Net writes one data page per column chunk, so a row group is also the smallest part of a column a reader
/// can decode. Row groups of <see cref="RowGroupSize"/> rows give pages of the size Spark and Arrow writers give
/// (at most 20,000 rows): a reader wanting the first rows fetches and decodes about 0.3 MB, not the whole file's
/// first 1.4 MB.
/// </remarks>
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

    public const int RowGroupSize = 20_000;

    private readonly Stream _output;
    private ParquetWriter? _writer;

    // Pooled: a result of many parts would otherwise leave row-group buffers on the large object heap per part,
    // and peak memory would grow with the row count until a full collection.
    private readonly string[] _deviceIds = ArrayPool<string>.Shared.Rent(RowGroupSize);
    private readonly DateTime[] _timestamps = ArrayPool<DateTime>.Shared.Rent(RowGroupSize);
    private readonly string[] _statuses = ArrayPool<string>.Shared.Rent(RowGroupSize);
    private readonly double?[] _batteries = ArrayPool<double?>.Shared.Rent(RowGroupSize);
    private readonly double?[] _temperatures = ArrayPool<double?>.Shared.Rent(RowGroupSize);
    private readonly int?[] _signals = ArrayPool<int?>.Shared.Rent(RowGroupSize);
    private readonly string[] _firmwares = ArrayPool<string>.Shared.Rent(RowGroupSize);
    private int _buffered;
    private bool _disposed;

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
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        ArrayPool<string>.Shared.Return(_deviceIds, clearArray: true);
        ArrayPool<DateTime>.Shared.Return(_timestamps);
        ArrayPool<string>.Shared.Return(_statuses, clearArray: true);
        ArrayPool<double?>.Shared.Return(_batteries);
        ArrayPool<double?>.Shared.Return(_temperatures);
        ArrayPool<int?>.Shared.Return(_signals);
        ArrayPool<string>.Shared.Return(_firmwares, clearArray: true);
    }
}
