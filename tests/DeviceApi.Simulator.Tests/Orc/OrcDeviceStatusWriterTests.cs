using DeviceApi.Simulator.Formats;
using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Orc;

public class OrcDeviceStatusWriterTests
{
    private const string ResultSchema =
        "struct<device_id:string,timestamp:timestamp,status:string,battery_pct:double,temperature_c:double,signal_dbm:int,firmware:string>";

    private static readonly DateTime Start = new(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task RowsComeBackUnchangedIncludingNulls()
    {
        var rows = SampleRows(2_000);

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions());

        Assert.Equal(ResultSchema, reader.Schema.ToString());
        Assert.Equal(rows.Length, reader.RowCount);
        Assert.Equal(rows, reader.ReadDeviceStatusRows());
    }

    [Fact]
    public async Task SmallStripesSplitTheRowsAndKeepTheirOrder()
    {
        var rows = SampleRows(10_001);

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions { RowsPerStripe = 1_000, CompressionBlockSize = 4_096 });

        Assert.Equal(11, reader.Stripes.Count);
        Assert.All(reader.Stripes.SkipLast(1), stripe => Assert.Equal(1_000, stripe.RowCount));
        Assert.Equal(1, reader.Stripes[^1].RowCount);
        Assert.Equal(rows, reader.ReadDeviceStatusRows());
    }

    [Fact]
    public async Task MetadataSaysZlibUtcAndVersion012()
    {
        using var reader = await WriteAndOpenAsync(SampleRows(300), new OrcWriterOptions { RowsPerStripe = 100 });

        Assert.Equal(OrcCompressionKind.Zlib, reader.Compression);
        Assert.Equal([0, 12], reader.FileVersion);
        Assert.Equal(256 * 1024, reader.CompressionBlockSize);
        Assert.Equal(3, reader.Stripes.Count);
        Assert.All(reader.Stripes, stripe =>
        {
            Assert.Equal("UTC", stripe.WriterTimezone);
            Assert.Equal(OrcColumnEncodingKind.DirectV2, stripe.ColumnEncodings[1]);
            Assert.Equal(OrcColumnEncodingKind.DirectV2, stripe.ColumnEncodings[2]);
        });
    }

    [Fact]
    public async Task StatisticsCountValuesAndNullsAndBoundTheValues()
    {
        var rows = SampleRows(1_000);

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions { RowsPerStripe = 300 });

        var statistics = reader.ColumnStatistics;
        Assert.Equal(8, statistics.Count);
        Assert.Equal(1_000UL, statistics[0].NumberOfValues);
        Assert.False(statistics[1].HasNull);
        Assert.Equal(rows.Select(r => r.DeviceId).Min(StringComparer.Ordinal), statistics[1].StringMinimum);
        Assert.Equal(rows.Select(r => r.DeviceId).Max(StringComparer.Ordinal), statistics[1].StringMaximum);
        Assert.Equal(OrcTimestamp.FromDateTime(rows.Min(r => r.Timestamp)), statistics[2].TimestampMinimum);
        Assert.Equal(OrcTimestamp.FromDateTime(rows.Max(r => r.Timestamp)), statistics[2].TimestampMaximum);
        var online = rows.Count(r => r.BatteryPct is not null);
        Assert.Equal((ulong)online, statistics[4].NumberOfValues);
        Assert.True(statistics[4].HasNull);
        Assert.Equal(rows.Min(r => r.BatteryPct), statistics[4].DoubleMinimum);
        Assert.Equal(rows.Max(r => r.SignalDbm), (int?)statistics[6].IntegerMaximum);
        Assert.Equal(rows.Min(r => r.SignalDbm), (int?)statistics[6].IntegerMinimum);
    }

    [Fact]
    public async Task AnEmptyFileIsAValidOrcFileWithNoRows()
    {
        using var reader = await WriteAndOpenAsync([], new OrcWriterOptions());

        Assert.Equal(ResultSchema, reader.Schema.ToString());
        Assert.Equal(0, reader.RowCount);
        Assert.Empty(reader.Stripes);
        Assert.Empty(reader.ReadRows());
        Assert.Equal(OrcCompressionKind.Zlib, reader.Compression);
    }

    [Theory]
    [InlineData("2026-11-27T00:01:00.0000000Z")]
    [InlineData("2026-11-27T00:01:00.1234560Z")]
    [InlineData("2015-01-01T00:00:00.0000010Z")]
    [InlineData("1969-12-31T23:59:58.5000000Z")]
    [InlineData("1969-12-31T23:59:58.0004990Z")]
    [InlineData("1900-05-05T12:34:56.1000000Z")]
    [InlineData("0001-01-01T00:00:00.0000000Z")]
    [InlineData("2038-01-19T03:14:08.0000010Z")]
    [InlineData("2999-12-31T23:59:59.9999990Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public async Task TimestampsKeepEveryTickBeforeAndAfterTheEpochs(string timestamp)
    {
        var instant = DateTime.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal);
        DeviceStatusRow[] rows = [Row(0, instant), Row(1, instant == DateTime.MinValue ? instant.AddTicks(1) : instant.AddTicks(-1)), Row(2, Start)];

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions());

        var read = reader.ReadDeviceStatusRows().ToList();
        Assert.Equal(rows.Select(r => r.Timestamp), read.Select(r => r.Timestamp));
        Assert.All(read, r => Assert.Equal(DateTimeKind.Utc, r.Timestamp.Kind));
        Assert.Equal(OrcTimestamp.FromDateTime(rows.Min(r => r.Timestamp)), reader.ColumnStatistics[2].TimestampMinimum);
        Assert.Equal(OrcTimestamp.FromDateTime(rows.Max(r => r.Timestamp)), reader.ColumnStatistics[2].TimestampMaximum);
    }

    [Fact]
    public async Task BatchesOfAnySizeGiveTheSameFile()
    {
        var rows = SampleRows(5_000);
        var options = new OrcWriterOptions { RowsPerStripe = 1_234 };

        var whole = await WriteAsync(rows, options, batchSize: rows.Length);
        var pieces = await WriteAsync(rows, options, batchSize: 7);

        Assert.Equal(whole, pieces);
    }

    [Fact]
    public async Task NonAsciiTextAndExtremeNumbersSurvive()
    {
        DeviceStatusRow[] rows =
        [
            new("gerät-ü-😀", Start, "online", double.MaxValue, double.Epsilon, int.MaxValue, "3.2.1-β"),
            new("", Start, "degraded", -0.0, double.NegativeInfinity, int.MinValue, ""),
            new("dev-x", Start, "maintenance", double.NaN, 1e-300, 0, new string('x', 5_000)),
        ];

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions());

        Assert.Equal(rows, reader.ReadDeviceStatusRows());
    }

    [Fact]
    public async Task AWriterAfterAnotherWritesTheSameBytesAsTheFirst()
    {
        var rows = SampleRows(3_000);
        var options = new OrcWriterOptions { RowsPerStripe = 1_000 };

        var first = await WriteAsync(rows, options, batchSize: 500);
        await WriteAsync(SampleRows(7_000, devices: 3), new OrcWriterOptions { RowsPerStripe = 2_500 }, batchSize: 999);
        var again = await WriteAsync(rows, options, batchSize: 500);

        Assert.Equal(first, again);
    }

    [Fact]
    public async Task WritersOpenAtTheSameTimeWriteTheSameBytesAsOneAlone()
    {
        var ct = TestContext.Current.CancellationToken;
        var rows = SampleRows(4_000);
        var options = new OrcWriterOptions { RowsPerStripe = 900 };
        var alone = await WriteAsync(rows, options, batchSize: 333);

        var outputs = Enumerable.Range(0, 3).Select(_ => new MemoryStream()).ToList();
        var writers = outputs.Select(output => new OrcDeviceStatusWriter(output, options)).ToList();
        for (var offset = 0; offset < rows.Length; offset += 333)
        {
            foreach (var writer in writers)
            {
                await writer.WriteAsync(rows.AsMemory(offset, Math.Min(333, rows.Length - offset)), ct);
            }
        }

        foreach (var writer in writers)
        {
            await writer.CompleteAsync(ct);
            await writer.DisposeAsync();
        }

        Assert.All(outputs, output => Assert.Equal(alone, output.ToArray()));
    }

    [Fact]
    public async Task ChunksThatDeflateCannotShrinkAreStoredAndReadBack()
    {
        var random = new Random(7);
        var rows = Enumerable.Range(0, 2_000)
            .Select(i => new DeviceStatusRow($"dev-{i:D6}", Start.AddMinutes(i), "online", random.NextDouble(), BitConverter.Int64BitsToDouble(random.NextInt64()), random.Next(), "1.0.0"))
            .ToArray();

        using var reader = await WriteAndOpenAsync(rows, new OrcWriterOptions { CompressionBlockSize = 1_024 });

        Assert.Equal(rows, reader.ReadDeviceStatusRows());
    }

    internal static DeviceStatusRow[] SampleRows(int count, int devices = 97)
    {
        var random = new Random(42);
        string[] statuses = ["online", "offline", "degraded", "maintenance"];
        var rows = new DeviceStatusRow[count];
        for (var i = 0; i < count; i++)
        {
            var status = statuses[random.Next(statuses.Length)];
            var offline = status == "offline";
            rows[i] = new DeviceStatusRow(
                $"dev-{i % devices:D6}",
                Start.AddMinutes(i / devices).AddTicks(i % 3 == 0 ? 10 * random.Next(1_000_000) : 0),
                status,
                offline ? null : Math.Round(random.NextDouble() * 100, 1),
                offline ? null : Math.Round((random.NextDouble() * 60) - 20, 2),
                offline ? null : -30 - random.Next(90),
                $"3.{random.Next(3)}.{random.Next(10)}");
        }

        return rows;
    }

    private static DeviceStatusRow Row(int device, DateTime timestamp) =>
        new($"dev-{device:D6}", timestamp, "online", 50, 20, -60, "1.0.0");

    private static async Task<OrcReader> WriteAndOpenAsync(DeviceStatusRow[] rows, OrcWriterOptions options)
    {
        var bytes = await WriteAsync(rows, options, batchSize: 1_000);
        return new OrcReader(new MemoryStream(bytes));
    }

    private static async Task<byte[]> WriteAsync(DeviceStatusRow[] rows, OrcWriterOptions options, int batchSize)
    {
        var ct = TestContext.Current.CancellationToken;
        using var output = new MemoryStream();
        await using (var writer = new OrcDeviceStatusWriter(output, options))
        {
            for (var offset = 0; offset < rows.Length; offset += batchSize)
            {
                await writer.WriteAsync(rows.AsMemory(offset, Math.Min(batchSize, rows.Length - offset)), ct);
            }

            await writer.CompleteAsync(ct);
        }

        return output.ToArray();
    }
}
