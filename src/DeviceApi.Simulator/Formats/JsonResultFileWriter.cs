using System.Text.Json;

namespace DeviceApi.Simulator.Formats;

/// <summary>One JSON array of objects keyed by column name, in column order; timestamps as RFC 3339 strings.</summary>
public sealed class JsonResultFileWriter : IResultFileWriter
{
    private static readonly JsonEncodedText DeviceId = JsonEncodedText.Encode(ColumnNames.DeviceId);
    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode(ColumnNames.Timestamp);
    private static readonly JsonEncodedText Status = JsonEncodedText.Encode(ColumnNames.Status);
    private static readonly JsonEncodedText BatteryPct = JsonEncodedText.Encode(ColumnNames.BatteryPct);
    private static readonly JsonEncodedText TemperatureC = JsonEncodedText.Encode(ColumnNames.TemperatureC);
    private static readonly JsonEncodedText SignalDbm = JsonEncodedText.Encode(ColumnNames.SignalDbm);
    private static readonly JsonEncodedText Firmware = JsonEncodedText.Encode(ColumnNames.Firmware);

    // Flushing at this size keeps the writer's buffer, and so memory, bounded however many rows come.
    private const int FlushThreshold = 1 << 16;

    private readonly Utf8JsonWriter _json;

    public JsonResultFileWriter(Stream output)
    {
        _json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
        _json.WriteStartArray();
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        for (var start = 0; start < rows.Length;)
        {
            start += Write(rows.Span[start..]);
            await _json.FlushAsync(cancellationToken);
        }
    }

    private int Write(ReadOnlySpan<DeviceStatusRow> rows)
    {
        Span<char> timestamp = stackalloc char[Rfc3339.MaxLength];
        var written = 0;
        foreach (ref readonly var row in rows)
        {
            _json.WriteStartObject();
            _json.WriteString(DeviceId, row.DeviceId);
            _json.WriteString(Timestamp, timestamp[..Rfc3339.Format(row.Timestamp, timestamp)]);
            _json.WriteString(Status, row.Status);
            WriteNumber(BatteryPct, row.BatteryPct);
            WriteNumber(TemperatureC, row.TemperatureC);
            if (row.SignalDbm is { } signal)
            {
                _json.WriteNumber(SignalDbm, signal);
            }
            else
            {
                _json.WriteNull(SignalDbm);
            }

            _json.WriteString(Firmware, row.Firmware);
            _json.WriteEndObject();
            written++;
            if (_json.BytesPending >= FlushThreshold)
            {
                break;
            }
        }

        return written;
    }

    private void WriteNumber(JsonEncodedText name, double? value)
    {
        if (value is { } number)
        {
            _json.WriteNumber(name, number);
        }
        else
        {
            _json.WriteNull(name);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        _json.WriteEndArray();
        await _json.FlushAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _json.DisposeAsync();
}
