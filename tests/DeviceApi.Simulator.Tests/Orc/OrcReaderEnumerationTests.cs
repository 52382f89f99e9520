using DeviceApi.Simulator.Formats;
using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Orc;

/// <summary>Stripes are decoded into reused buffers; rows handed out must not change when the buffers are reused.</summary>
public class OrcReaderEnumerationTests
{
    [Fact]
    public async Task RowsKeepTheirValuesAfterLaterStripesAreRead()
    {
        var rows = OrcDeviceStatusWriterTests.SampleRows(5_000);
        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions { RowsPerStripe = 700 });

        var objects = reader.ReadRows().ToList();
        var typed = reader.ReadDeviceStatusRows().ToList();

        Assert.Equal(rows, typed);
        Assert.Equal(rows.Length, objects.Count);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(AsObjects(rows[i]), objects[i]);
        }
    }

    [Fact]
    public async Task AnAbandonedOrInterleavedEnumerationLeavesTheOthersIntact()
    {
        var rows = OrcDeviceStatusWriterTests.SampleRows(3_000);
        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions { RowsPerStripe = 1_000 });

        var abandoned = reader.ReadDeviceStatusRows().Take(1_500).ToList();
        using var first = reader.ReadDeviceStatusRows().GetEnumerator();
        using var second = reader.ReadRows().GetEnumerator();
        var interleaved = new List<DeviceStatusRow>();
        var objects = new List<object?[]>();
        while (first.MoveNext() && second.MoveNext())
        {
            interleaved.Add(first.Current);
            objects.Add(second.Current);
        }

        Assert.Equal(rows.Take(1_500), abandoned);
        Assert.Equal(rows, interleaved);
        Assert.Equal(rows.Select(AsObjects), objects);
    }

    private static object?[] AsObjects(DeviceStatusRow row) =>
    [
        row.DeviceId, OrcTimestamp.FromDateTime(row.Timestamp), row.Status, row.BatteryPct, row.TemperatureC, row.SignalDbm, row.Firmware,
    ];

    private static async Task<OrcReader> WriteAndOpenAsync(DeviceStatusRow[] rows, OrcWriterOptions options)
    {
        var ct = TestContext.Current.CancellationToken;
        var output = new MemoryStream();
        await using (var writer = new OrcDeviceStatusWriter(output, options))
        {
            await writer.WriteAsync(rows, ct);
            await writer.CompleteAsync(ct);
        }

        output.Position = 0;
        return new OrcReader(output);
    }
}
