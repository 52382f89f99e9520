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
}
