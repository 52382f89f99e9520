using System.Globalization;
using System.Text;

namespace DeviceApi.Simulator.Formats;

/// <summary>Hive's text layout: UTF-8 lines, TAB between fields, no header, no quoting, <c>\N</c> for null.</summary>
public sealed class TextFileResultFileWriter : IResultFileWriter
{
    private const string Null = "\\N";
    private readonly StreamWriter _writer;

    public TextFileResultFileWriter(Stream output) =>
        _writer = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true)
        {
            NewLine = "\n",
        };

    public async ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        Write(rows.Span);
        await _writer.FlushAsync(cancellationToken);
    }

    private void Write(ReadOnlySpan<DeviceStatusRow> rows)
    {
        Span<char> buffer = stackalloc char[32];
        foreach (ref readonly var row in rows)
        {
            _writer.Write(row.DeviceId);
            _writer.Write('\t');
            _writer.Write(buffer[..Rfc3339.Format(row.Timestamp, buffer)]);
            _writer.Write('\t');
            _writer.Write(row.Status);
            _writer.Write('\t');
            WriteNumber(row.BatteryPct, buffer);
            _writer.Write('\t');
            WriteNumber(row.TemperatureC, buffer);
            _writer.Write('\t');
            WriteNumber(row.SignalDbm, buffer);
            _writer.Write('\t');
            _writer.Write(row.Firmware);
            _writer.Write('\n');
        }
    }

    private void WriteNumber<T>(T? value, Span<char> buffer)
        where T : struct, ISpanFormattable
    {
        if (value is { } number && number.TryFormat(buffer, out var length, default, CultureInfo.InvariantCulture))
        {
            _writer.Write(buffer[..length]);
        }
        else
        {
            _writer.Write(Null);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default) =>
        await _writer.FlushAsync(cancellationToken);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
