using System.Globalization;
using System.Text;
using System.Text.Json;
using CsvHelper;
using DeviceApi.Simulator.Formats;

namespace DeviceApi.Simulator.Tests.Formats;

public sealed class TextFormatTests : IDisposable
{
    private const string Header = "device_id,timestamp,status,battery_pct,temperature_c,signal_dbm,firmware";
    private readonly ResultFileFixture _fixture = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CsvReadsBackWithHeaderColumnsNullsAndAllRows()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Csv);

        var read = new List<DeviceStatusRow>();
        using (var csv = CsvReader.FromFile(files.Single().Path, new CsvReaderOptions { Separator = ',' }))
        {
            while (csv.Read())
            {
                Assert.Equal(ColumnNames.All, csv.Headers);
                read.Add(new DeviceStatusRow(
                    csv.GetString(0),
                    DateTime.Parse(csv.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
                    csv.GetString(2),
                    csv.IsEmpty(3) ? null : csv.Parse<double>(3),
                    csv.IsEmpty(4) ? null : csv.Parse<double>(4),
                    csv.IsEmpty(5) ? null : csv.Parse<int>(5),
                    csv.GetString(6)));
            }
        }

        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(read, r => r.Status == "offline" && r.BatteryPct is null && r.TemperatureC is null && r.SignalDbm is null);
    }

    [Fact]
    public async Task CsvIsUtf8WithoutBomWithLfLineEndsAndEmptyFieldsForNull()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Csv);

        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);
        var text = Encoding.UTF8.GetString(bytes);
        var lines = text.Split('\n');

        Assert.NotEqual(0xEF, bytes[0]);
        Assert.DoesNotContain('\r', text);
        Assert.DoesNotContain('"', text);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(Header, lines[0]);
        Assert.Equal(rows.Count + 2, lines.Length);
        var offline = Array.FindIndex(lines, l => l.Contains(",offline,", StringComparison.Ordinal));
        Assert.Matches(@"^dev-\d{6},2026-11-27T00:\d\d:00Z,offline,,,,\d+\.\d+\.\d+$", lines[offline]);
        Assert.Equal(Format(rows[0], ","), lines[1]);
        Assert.All(
            lines[1..^1].SelectMany(l => l.Split(',')[3..5]).Where(f => f.Length > 0),
            number => Assert.Matches(@"^-?\d+(\.\d*[1-9])?$", number));
    }

    [Fact]
    public async Task EmptyCsvIsTheHeaderLine()
    {
        var files = await _fixture.WriteEmptyAsync(FileFormat.Csv);

        Assert.Equal(Header + "\n", await File.ReadAllTextAsync(Assert.Single(files).Path, Cancellation));
    }

    [Fact]
    public async Task TextFileIsTabSeparatedWithoutHeaderOrQuotingAndNullAsBackslashN()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.TextFile);

        var text = await File.ReadAllTextAsync(files.Single().Path, Cancellation);
        var lines = text.Split('\n')[..^1];
        var read = lines.Select(line => line.Split('\t')).Select(f => new DeviceStatusRow(
            f[0],
            DateTime.Parse(f[1], CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
            f[2],
            f[3] == "\\N" ? null : double.Parse(f[3], CultureInfo.InvariantCulture),
            f[4] == "\\N" ? null : double.Parse(f[4], CultureInfo.InvariantCulture),
            f[5] == "\\N" ? null : int.Parse(f[5], CultureInfo.InvariantCulture),
            f[6])).ToList();

        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', text);
        Assert.All(lines, line => Assert.Equal(6, line.Count(c => c == '\t')));
        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(lines, l => l.Contains("\toffline\t\\N\t\\N\t\\N\t", StringComparison.Ordinal));
        Assert.Equal(Format(rows[0], "\t"), lines[0]);
    }

    [Fact]
    public async Task EmptyTextFileHasNoLines()
    {
        var files = await _fixture.WriteEmptyAsync(FileFormat.TextFile);

        Assert.Equal(0, new FileInfo(Assert.Single(files).Path).Length);
    }

    [Fact]
    public async Task JsonIsOneArrayOfObjectsInColumnOrderWithNulls()
    {
        var (files, rows) = await _fixture.WriteAsync(FileFormat.Json);

        await using var stream = File.OpenRead(files.Single().Path);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: Cancellation);
        var objects = document.RootElement.EnumerateArray().ToList();
        var read = objects.Select(o => new DeviceStatusRow(
            o.GetProperty("device_id").GetString()!,
            DateTime.Parse(o.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal),
            o.GetProperty("status").GetString()!,
            o.GetProperty("battery_pct").ValueKind == JsonValueKind.Null ? null : o.GetProperty("battery_pct").GetDouble(),
            o.GetProperty("temperature_c").ValueKind == JsonValueKind.Null ? null : o.GetProperty("temperature_c").GetDouble(),
            o.GetProperty("signal_dbm").ValueKind == JsonValueKind.Null ? null : o.GetProperty("signal_dbm").GetInt32(),
            o.GetProperty("firmware").GetString()!)).ToList();

        Assert.Equal(JsonValueKind.Array, document.RootElement.ValueKind);
        Assert.All(objects, o => Assert.Equal(ColumnNames.All, o.EnumerateObject().Select(p => p.Name)));
        Assert.All(objects, o => Assert.Equal(JsonValueKind.String, o.GetProperty("timestamp").ValueKind));
        ResultFileFixture.AssertSameRows(rows, read);
        Assert.Contains(objects, o => o.GetProperty("status").GetString() == "offline"
            && o.GetProperty("battery_pct").ValueKind == JsonValueKind.Null
            && o.GetProperty("signal_dbm").ValueKind == JsonValueKind.Null);
        var text = await File.ReadAllTextAsync(files.Single().Path, Cancellation);
        Assert.StartsWith(
            $$"""[{"device_id":"{{rows[0].DeviceId}}","timestamp":"2026-11-27T00:00:00Z","status":"{{rows[0].Status}}",""",
            text,
            StringComparison.Ordinal);
        Assert.EndsWith("}]", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\d\.\d*0[,}]|\de[+-]?\d", text);
    }

    [Fact]
    public async Task EmptyJsonIsAnEmptyArray()
    {
        var files = await _fixture.WriteEmptyAsync(FileFormat.Json);

        Assert.Equal("[]", await File.ReadAllTextAsync(Assert.Single(files).Path, Cancellation));
    }

    [Theory]
    [InlineData(FileFormat.Csv)]
    [InlineData(FileFormat.TextFile)]
    [InlineData(FileFormat.Json)]
    public async Task ResultOverThePartSizeIsSplitIntoCompleteFilesInRowOrder(FileFormat format)
    {
        var (files, rows) = await _fixture.WriteAsync(format, partSize: 150);

        Assert.Equal(["part-00000", "part-00001", "part-00002"], files.Select(f => Path.GetFileNameWithoutExtension(f.Name)));
        Assert.Equal([150L, 150L, 120L], files.Select(f => f.RowCount));
        Assert.All(files, f => Assert.EndsWith("." + format.Extension(), f.Name, StringComparison.Ordinal));
        var second = await File.ReadAllTextAsync(files[1].Path, Cancellation);
        var firstOfSecond = rows[150];
        Assert.Contains(firstOfSecond.DeviceId, second.Split('\n')[format == FileFormat.Csv ? 1 : 0], StringComparison.Ordinal);
        if (format == FileFormat.Json)
        {
            Assert.Equal(120, JsonDocument.Parse(await File.ReadAllTextAsync(files[2].Path, Cancellation)).RootElement.GetArrayLength());
        }
    }

    [Theory]
    [InlineData(0L, "2026-11-27T00:00:00Z")]
    [InlineData(10_000_000L, "2026-11-27T00:00:01Z")]
    [InlineData(5_000_000L, "2026-11-27T00:00:00.5Z")]
    [InlineData(1_230L, "2026-11-27T00:00:00.000123Z")]
    [InlineData(1L, "2026-11-27T00:00:00.0000001Z")]
    public void TimestampsHaveOnlyTheFractionalDigitsTheyNeed(long ticks, string expected) =>
        Assert.Equal(expected, Rfc3339.Format(ResultFileFixture.From.AddTicks(ticks)));

    private static string Format(DeviceStatusRow row, string separator)
    {
        var nullText = separator == "\t" ? "\\N" : "";
        return string.Join(separator,
            row.DeviceId,
            Rfc3339.Format(row.Timestamp),
            row.Status,
            row.BatteryPct is { } b ? Number(b) : nullText,
            row.TemperatureC is { } t ? Number(t) : nullText,
            row.SignalDbm is { } s ? s.ToString(CultureInfo.InvariantCulture) : nullText,
            row.Firmware);
    }

    private static string Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "null";

    public void Dispose() => _fixture.Dispose();
}
