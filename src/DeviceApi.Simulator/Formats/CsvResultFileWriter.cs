using System.Globalization;
using CsvHelper;

namespace DeviceApi.Simulator.Formats;

/// <summary>RFC 4180 CSV, UTF-8 without BOM, a header row and <c>\n</c> line ends; null is an empty field.</summary>
public sealed class CsvResultFileWriter : IResultFileWriter
{
    private static readonly CsvWriterOptions Options = new()
    {
        NewLine = "\n",
        FormatProvider = CultureInfo.InvariantCulture,
        WriteByteOrderMark = false,
    };

    private readonly CsvWriter _csv;

    public CsvResultFileWriter(Stream output)
    {
        _csv = CsvWriter.Create(output, Options, leaveOpen: true);
        _csv.WriteHeader([.. ColumnNames.All]);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        Write(rows.Span);
        await _csv.FlushAsync(cancellationToken);
    }

    private void Write(ReadOnlySpan<DeviceStatusRow> rows)
    {
        Span<char> timestamp = stackalloc char[Rfc3339.MaxLength];
        foreach (ref readonly var row in rows)
        {
            _csv.WriteField(row.DeviceId);
            _csv.WriteField(timestamp[..Rfc3339.Format(row.Timestamp, timestamp)]);
            _csv.WriteField(row.Status);
            _csv.WriteField(row.BatteryPct, default);
            _csv.WriteField(row.TemperatureC, default);
            _csv.WriteField(row.SignalDbm, default);
            _csv.WriteField(row.Firmware);
            _csv.EndRecord();
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
        await _csv.FlushAsync(cancellationToken);

    public ValueTask DisposeAsync() => _csv.DisposeAsync();
}
