using System.Text.Json;
using Avro.File;
using Avro.Generic;
using DeviceApi.Simulator.Formats;
using Parquet;
using Parquet.Meta;

namespace DeviceApi.Simulator.Tests.Formats;

public sealed class BinaryFormatTests : IDisposable
{
    private readonly ResultFileFixture _fixture = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ParquetReadsBackWithContractSchemaNullsAndAllRows()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Parquet);

        var read = await ReadParquetAsync(files.Single().Path);

        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(read, r => r.Status == "offline" && r.BatteryPct is null && r.TemperatureC is null && r.SignalDbm is null);
    }

    [Fact]
    public async Task ParquetMarksRequiredAndOptionalColumnsWithMicrosUtcTimestampsAndSnappy()
    {
        var (files, _) = await _fixture.WriteAsync(FileFormat.Parquet);

        await using var reader = await ParquetReader.CreateAsync(files.Single().Path, cancellationToken: Cancellation);
        var metadata = reader.Metadata!;
        var columns = metadata.Schema.Skip(1).ToDictionary(e => e.Name);

        Assert.Equal(ColumnNames.All, reader.Schema.DataFields.Select(f => f.Name));
        Assert.Equal([false, false, false, true, true, true, false], reader.Schema.DataFields.Select(f => f.IsNullable));
        Assert.Equal(ColumnNames.All, columns.Keys);
        foreach (var name in new[] { "device_id", "timestamp", "status", "firmware" })
        {
            Assert.Equal(FieldRepetitionType.REQUIRED, columns[name].RepetitionType);
        }

        foreach (var name in new[] { "battery_pct", "temperature_c", "signal_dbm" })
        {
            Assert.Equal(FieldRepetitionType.OPTIONAL, columns[name].RepetitionType);
        }

        Assert.Equal(Parquet.Meta.Type.INT64, columns["timestamp"].Type);
        Assert.True(columns["timestamp"].LogicalType!.TIMESTAMP!.IsAdjustedToUTC);
        Assert.NotNull(columns["timestamp"].LogicalType!.TIMESTAMP!.Unit.MICROS);
        Assert.Equal(Parquet.Meta.Type.INT32, columns["signal_dbm"].Type);
        Assert.Equal(Parquet.Meta.Type.DOUBLE, columns["battery_pct"].Type);
        foreach (var name in new[] { "device_id", "status", "firmware" })
        {
            Assert.Equal(Parquet.Meta.Type.BYTE_ARRAY, columns[name].Type);
            Assert.NotNull(columns[name].LogicalType!.STRING);
        }

        Assert.All(metadata.RowGroups.SelectMany(g => g.Columns), c => Assert.Equal(CompressionCodec.SNAPPY, c.MetaData!.Codec));
    }

    [Fact]
    public async Task ParquetMultiPartResultHasCompletePartsInRowOrder()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Parquet, partSize: 200);

        var parts = new List<List<DeviceStatusRow>>();
        foreach (var file in files)
        {
            parts.Add(await ReadParquetAsync(file.Path));
        }

        Assert.Equal(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], files.Select(f => f.Name));
        Assert.Equal([200, 200, 20], parts.Select(p => p.Count));
        Assert.Equal(ResultFileFixture.Expected(rows), parts.SelectMany(p => p));
    }

    [Fact]
    public async Task EmptyParquetIsAValidFileWithNoRows()
    {
        var files = await _fixture.WriteEmptyAsync(FileFormat.Parquet);

        Assert.Empty(await ReadParquetAsync(Assert.Single(files).Path));
    }

    [Fact]
    public async Task AvroReadsBackWithContractSchemaNullsAndAllRows()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Avro);

        var read = ReadAvro(files.Single().Path);

        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(read, r => r.Status == "offline" && r.BatteryPct is null && r.TemperatureC is null && r.SignalDbm is null);
    }

    [Fact]
    public async Task AvroIsADeflatedContainerOfDeviceStatusRecordsWithTimestampMicrosAndNullUnions()
    {
        var (files, _) = await _fixture.WriteAsync(FileFormat.Avro);

        using var reader = DataFileReader<GenericRecord>.OpenReader(files.Single().Path);
        using var schema = JsonDocument.Parse(reader.GetSchema().ToString());
        var fields = schema.RootElement.GetProperty("fields").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);

        Assert.Equal("deflate", reader.GetMetaString("avro.codec"));
        Assert.Equal("record", schema.RootElement.GetProperty("type").GetString());
        Assert.Equal("DeviceStatus", schema.RootElement.GetProperty("name").GetString());
        Assert.Equal(ColumnNames.All, fields.Keys);
        Assert.Equal("long", fields["timestamp"].GetProperty("type").GetProperty("type").GetString());
        Assert.Equal("timestamp-micros", fields["timestamp"].GetProperty("type").GetProperty("logicalType").GetString());
        foreach (var (name, type) in new[] { ("battery_pct", "double"), ("temperature_c", "double"), ("signal_dbm", "int") })
        {
            Assert.Equal(["null", type], fields[name].GetProperty("type").EnumerateArray().Select(t => t.GetString()));
            Assert.Equal(JsonValueKind.Null, fields[name].GetProperty("default").ValueKind);
        }

        foreach (var name in new[] { "device_id", "status", "firmware" })
        {
            Assert.Equal("string", fields[name].GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task AvroMultiPartAndEmptyResultsAreCompleteContainers()
    {
        var (parts, rows) = await _fixture.WriteAsync(FileFormat.Avro, partSize: 400);
        var empty = await _fixture.WriteEmptyAsync(FileFormat.Avro);

        Assert.Equal([400, 20], parts.Select(p => ReadAvro(p.Path).Count));
        Assert.Equal(ResultFileFixture.Expected(rows), parts.SelectMany(p => ReadAvro(p.Path)));
        Assert.Empty(ReadAvro(Assert.Single(empty).Path));
    }

    [Theory]
    [InlineData(FileFormat.Parquet)]
    [InlineData(FileFormat.Avro)]
    public async Task SameRowsYieldTheSameFile(FileFormat format)
    {
        var (first, _) = await _fixture.WriteAsync(format);
        var (second, _) = await _fixture.WriteAsync(format);

        if (format == FileFormat.Avro)
        {
            // Avro's sync marker is random per file by design; the rows must still match.
            Assert.Equal(ReadAvro(first[0].Path), ReadAvro(second[0].Path));
        }
        else
        {
            Assert.Equal(await File.ReadAllBytesAsync(first[0].Path, Cancellation), await File.ReadAllBytesAsync(second[0].Path, Cancellation));
        }
    }

    private static async Task<List<DeviceStatusRow>> ReadParquetAsync(string path)
    {
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: Cancellation);
        var fields = reader.Schema.DataFields;
        var rows = new List<DeviceStatusRow>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var group = reader.OpenRowGroupReader(g);
            var n = (int)group.RowCount;
            var ids = new string?[n];
            var timestamps = new DateTime[n];
            var statuses = new string?[n];
            var batteries = new double?[n];
            var temperatures = new double?[n];
            var signals = new int?[n];
            var firmware = new string?[n];
            await group.ReadAsync(fields[0], ids.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync<DateTime>(fields[1], timestamps.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync(fields[2], statuses.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync<double>(fields[3], batteries.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync<double>(fields[4], temperatures.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync<int>(fields[5], signals.AsMemory(), cancellationToken: Cancellation);
            await group.ReadAsync(fields[6], firmware.AsMemory(), cancellationToken: Cancellation);
            for (var i = 0; i < n; i++)
            {
                rows.Add(new DeviceStatusRow(ids[i]!, DateTime.SpecifyKind(timestamps[i], DateTimeKind.Utc), statuses[i]!, batteries[i], temperatures[i], signals[i], firmware[i]!));
            }
        }

        return rows;
    }

    private static List<DeviceStatusRow> ReadAvro(string path)
    {
        using var reader = DataFileReader<GenericRecord>.OpenReader(path);
        var rows = new List<DeviceStatusRow>();
        while (reader.HasNext())
        {
            var record = reader.Next();
            rows.Add(new DeviceStatusRow(
                (string)record["device_id"],
                ((DateTime)record["timestamp"]).ToUniversalTime(),
                (string)record["status"],
                (double?)record["battery_pct"],
                (double?)record["temperature_c"],
                (int?)record["signal_dbm"],
                (string)record["firmware"]));
        }

        return rows;
    }

    public void Dispose() => _fixture.Dispose();
}
