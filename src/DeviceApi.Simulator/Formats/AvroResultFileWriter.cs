using Avro;
using Avro.File;
using Avro.Generic;

namespace DeviceApi.Simulator.Formats;

/// <summary>
/// An Avro object container file with the <c>deflate</c> codec: record <c>DeviceStatus</c>, <c>timestamp</c> a
/// <c>long</c> with logicalType <c>timestamp-micros</c>, nullable columns <c>["null", T]</c> with default null.
/// </summary>
public sealed class AvroResultFileWriter : IResultFileWriter
{
    /// <summary>The record schema as the contract defines it.</summary>
    public static RecordSchema Schema { get; } = (RecordSchema)Avro.Schema.Parse("""
        {
          "type": "record",
          "name": "DeviceStatus",
          "fields": [
            { "name": "device_id", "type": "string" },
            { "name": "timestamp", "type": { "type": "long", "logicalType": "timestamp-micros" } },
            { "name": "status", "type": "string" },
            { "name": "battery_pct", "type": ["null", "double"], "default": null },
            { "name": "temperature_c", "type": ["null", "double"], "default": null },
            { "name": "signal_dbm", "type": ["null", "int"], "default": null },
            { "name": "firmware", "type": "string" }
          ]
        }
        """);

    private readonly IFileWriter<GenericRecord> _writer;

    // Append serialises at once, so one record instance serves every row.
    private readonly GenericRecord _record = new(Schema);
    private bool _closed;

    public AvroResultFileWriter(Stream output) =>
        _writer = DataFileWriter<GenericRecord>.OpenWriter(
            new GenericDatumWriter<GenericRecord>(Schema), output, Codec.CreateCodec(Codec.Type.Deflate), leaveOpen: true);

    public ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default)
    {
        foreach (ref readonly var row in rows.Span)
        {
            _record.Add(0, row.DeviceId);
            _record.Add(1, row.Timestamp);
            _record.Add(2, row.Status);
            _record.Add(3, row.BatteryPct);
            _record.Add(4, row.TemperatureC);
            _record.Add(5, row.SignalDbm);
            _record.Add(6, row.Firmware);
            _writer.Append(_record);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CompleteAsync(CancellationToken cancellationToken = default)
    {
        Close();
        return ValueTask.CompletedTask;
    }

    private void Close()
    {
        if (!_closed)
        {
            _closed = true;
            _writer.Close();
        }
    }

    public ValueTask DisposeAsync()
    {
        // Closing is all that disposing does; a second close throws.
        Close();
        return ValueTask.CompletedTask;
    }
}
