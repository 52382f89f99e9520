using DeviceApi.Simulator.Formats;
using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Formats;

/// <summary>Result files in ORC, read back with <see cref="OrcReader"/> (itself checked against Apache ORC's reference files).</summary>
public sealed class OrcFormatTests : IDisposable
{
    private readonly ResultFileFixture _fixture = new();

    [Fact]
    public async Task OrcReadsBackWithContractSchemaZlibNullsAndAllRows()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Orc);

        using var reader = OrcReader.Open(files.Single().Path);
        var read = reader.ReadDeviceStatusRows().ToList();

        Assert.Equal(
            "struct<device_id:string,timestamp:timestamp,status:string,battery_pct:double,temperature_c:double,signal_dbm:int,firmware:string>",
            reader.Schema.ToString());
        Assert.Equal(OrcCompressionKind.Zlib, reader.Compression);
        Assert.All(reader.Stripes, s => Assert.Equal("UTC", s.WriterTimezone));
        Assert.Equal(420, reader.RowCount);
        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(read, r => r.Status == "offline" && r.BatteryPct is null && r.TemperatureC is null && r.SignalDbm is null);
    }

    [Fact]
    public async Task OrcMultiPartAndEmptyResultsAreCompleteFiles()
    {
        var (parts, rows) = await _fixture.WriteAsync(FileFormat.Orc, partSize: 300);
        var empty = await _fixture.WriteEmptyAsync(FileFormat.Orc);

        var read = parts.Select(p =>
        {
            using var reader = OrcReader.Open(p.Path);
            return reader.ReadDeviceStatusRows().ToList();
        }).ToList();
        using var emptyReader = OrcReader.Open(Assert.Single(empty).Path);

        Assert.Equal(["part-00000.orc", "part-00001.orc"], parts.Select(p => p.Name));
        Assert.Equal([300, 120], read.Select(r => r.Count));
        Assert.Equal(ResultFileFixture.Expected(rows), read.SelectMany(r => r));
        Assert.Equal(0, emptyReader.RowCount);
        Assert.Empty(emptyReader.ReadDeviceStatusRows());
    }

    public void Dispose() => _fixture.Dispose();
}
