using Portal.Downloads;
using Portal.Exports;

namespace Portal.Tests.Downloads;

public class ResultFileNamesTests
{
    private static readonly TimeRange Hour = new(
        new DateTimeOffset(2026, 12, 5, 11, 0, 0, TimeSpan.FromHours(1)),
        new DateTimeOffset(2026, 12, 5, 11, 0, 0, TimeSpan.Zero));

    [Theory]
    [InlineData(FileFormat.Csv, "part-00000.csv", 0, "device-status_CSV_2026-12-05T1000Z_2026-12-05T1100Z_part-00000.csv")]
    [InlineData(FileFormat.Parquet, "part-00002.parquet", 2, "device-status_PARQUET_2026-12-05T1000Z_2026-12-05T1100Z_part-00002.parquet")]
    [InlineData(FileFormat.TextFile, "part-00001", 1, "device-status_TEXTFILE_2026-12-05T1000Z_2026-12-05T1100Z_part-00001.txt")]
    public void NamesAFileAfterItsExportAndThePartTheDevicePlatformNamed(FileFormat format, string vendorName, int part, string expected) =>
        Assert.Equal(expected, ResultFileNames.For(format, Hour, vendorName, part));

    [Theory]
    [InlineData("../../x.csv", "x")]
    [InlineData("..\\..\\windows\\x.csv", "x")]
    [InlineData("..", "part-00003")]
    [InlineData("", "part-00003")]
    [InlineData("a\u0000b\r\nc.csv", "abc")]
    [InlineData("quarter \"one\";.csv", "quarter-one")]
    [InlineData("data..csv.exe", "data.csv.exe")]
    public void AnyVendorNameComesOutAsAPlainBaseName(string vendorName, string expectedPart)
    {
        var name = ResultFileNames.For(FileFormat.Csv, Hour, vendorName, 3);

        Assert.Equal($"device-status_CSV_2026-12-05T1000Z_2026-12-05T1100Z_{expectedPart}.csv", name);
        Assert.Equal(name, Path.GetFileName(name));
        Assert.DoesNotContain("..", name, StringComparison.Ordinal);
        Assert.DoesNotContain(name, char.IsControl);
    }

    [Fact]
    public void TheDispositionIsAnAttachmentWithTheName() =>
        Assert.Equal("attachment; filename=device-status_CSV_x.csv", ResultFileNames.ContentDisposition("device-status_CSV_x.csv"));

    [Theory]
    [InlineData("../../x.csv")]
    [InlineData("..\\..\\x.csv")]
    [InlineData("..%2F..%2Fx.csv")]
    [InlineData("%2E%2E%2F%2E%2E%2Fx.csv")]
    [InlineData("x.csv\r\nContent-Type: text/html")]
    [InlineData(".hidden.csv")]
    [InlineData("\u202Egnp.csv")]
    public void EveryNameOfAnExportIsASafeBaseNameWithTheFormatsExtension(string vendorName)
    {
        // As the tracker stores it: the URL's last segment, percent-decoded once.
        var stored = Uri.UnescapeDataString(vendorName);

        var name = ResultFileNames.ForAll(FileFormat.Csv, Hour, [(0, stored)])[0];

        Assert.Equal(name, Path.GetFileName(name));
        Assert.DoesNotContain("..", name, StringComparison.Ordinal);
        Assert.DoesNotContain(name, c => c is '/' or '\\' or ':' or '"' or ';' || char.IsControl(c) || c > 127);
        Assert.StartsWith("device-status_CSV_", name, StringComparison.Ordinal);
        Assert.EndsWith(".csv", name, StringComparison.Ordinal);
        Assert.True(name.Length <= 160, $"{name.Length} characters");
    }

    [Fact]
    public void ALongVendorNameIsCutToABoundedLength()
    {
        var name = ResultFileNames.For(FileFormat.Csv, Hour, new string('a', 5000) + ".csv", 0);

        Assert.True(name.Length <= 160, $"{name.Length} characters");
        Assert.EndsWith("a.csv", name, StringComparison.Ordinal);
    }

    [Fact]
    public void PartsWhoseNamesCollideGetTheirPartNumberAndEveryNameIsUnique()
    {
        var names = ResultFileNames.ForAll(FileFormat.Csv, Hour,
            [(0, "a/x.csv"), (1, "b/x.csv"), (2, "x.csv"), (3, null), (4, ""), (5, "part-00003.csv"), (6, "X.CSV")]);

        Assert.Equal(7, names.Values.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.EndsWith("_x.csv", names[0], StringComparison.Ordinal);
        Assert.EndsWith("_x_part-00001.csv", names[1], StringComparison.Ordinal);
        Assert.EndsWith("_x_part-00002.csv", names[2], StringComparison.Ordinal);
        Assert.EndsWith("_part-00003.csv", names[3], StringComparison.Ordinal);
        Assert.EndsWith("_part-00004.csv", names[4], StringComparison.Ordinal);
        Assert.EndsWith("_part-00003_part-00005.csv", names[5], StringComparison.Ordinal);
    }
}
