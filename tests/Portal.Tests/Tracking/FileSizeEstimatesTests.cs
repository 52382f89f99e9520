using Portal.Exports;
using Portal.Tracking;

namespace Portal.Tests.Tracking;

public class FileSizeEstimatesTests
{
    [Fact]
    public void EstimatesFromTheMedianBytesPerRowOfMeasuredFilesOfThatFormat()
    {
        FileSizeSample[] measured =
        [
            new(FileFormat.Csv, 1_000_000, 80_000_000),
            new(FileFormat.Csv, 440_000, 35_200_000),
            // A small file: its header weighs; the median is not moved by it.
            new(FileFormat.Csv, 10, 2_000),
            new(FileFormat.Parquet, 1_000_000, 12_000_000),
        ];

        Assert.Equal(160_000_000, FileSizeEstimates.Estimate(measured, FileFormat.Csv, 2_000_000));
        Assert.Equal(6_000_000, FileSizeEstimates.Estimate(measured, FileFormat.Parquet, 500_000));
    }

    [Fact]
    public void NothingMeasuredForAFormatIsNoEstimate()
    {
        var sizes = new FileSizeRates(
        [
            new FileSizeSample(FileFormat.Csv, 1_000, 80_000),
            // Nothing to learn from an empty file.
            new FileSizeSample(FileFormat.Orc, 0, 300),
        ]);

        Assert.Equal(800_000, sizes.Estimate(FileFormat.Csv, 10_000));
        Assert.Null(sizes.Estimate(FileFormat.Orc, 10_000));
        Assert.Null(sizes.Estimate(FileFormat.Avro, 10_000));
        Assert.Null(FileSizeRates.None.Estimate(FileFormat.Csv, 10_000));
    }
}
