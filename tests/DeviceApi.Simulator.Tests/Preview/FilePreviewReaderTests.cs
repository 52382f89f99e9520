using System.Globalization;
using DeviceApi.Simulator.Tests.Formats;
using DeviceApi.Simulator.Tests.Orc;
using DeviceStatus.Formats.Preview;

namespace DeviceApi.Simulator.Tests.Preview;

public sealed class FilePreviewReaderTests : IDisposable
{
    private const long Cap = 8 * 1024 * 1024;

    private readonly ResultFileFixture _fixture = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<FileFormat> Formats => [.. FileFormats.All];

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task PreviewHasTheFirstHundredRowsTypedAndFactsOverThem(FileFormat format)
    {
        var (files, rows) = await _fixture.WriteAsync(format);
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);

        var preview = await FilePreviewReader.ReadAsync(format, new MemoryRangeSource(bytes), Cap, Cancellation);

        var expected = ResultFileFixture.Expected(rows, 0, 100).ToList();
        Assert.Equal(expected, preview.Rows);
        Assert.Equal(bytes.Length, preview.FileBytes);
        Assert.Equal(PreviewColumn.All, preview.Facts.Select(f => f.Column));
        var battery = preview.Facts.Single(f => f.Column.Name == ColumnNames.BatteryPct);
        Assert.Equal(expected.Count(r => r.BatteryPct is null), battery.Nulls);
        Assert.True(battery.Nulls > 0, "the first hundred rows hold an offline device");
        Assert.Equal(PreviewColumn.Format(expected.Where(r => r.BatteryPct is not null).Min(r => r.BatteryPct)), battery.Min);
        Assert.Equal(PreviewColumn.Format(expected.Where(r => r.BatteryPct is not null).Max(r => r.BatteryPct)), battery.Max);
        Assert.Null(battery.Distinct);
        var devices = preview.Facts.Single(f => f.Column.Name == ColumnNames.DeviceId);
        Assert.Equal(7, devices.Distinct);
        Assert.Equal(PreviewColumn.Format(expected[0].Timestamp), preview.Facts.Single(f => f.Column.Name == ColumnNames.Timestamp).Min);
    }

    [Theory]
    [InlineData(FileFormat.Parquet)]
    [InlineData(FileFormat.Orc)]
    public async Task ParquetAndOrcAlsoGiveTheFooterStatisticsOfAllRows(FileFormat format)
    {
        var (files, rows) = await _fixture.WriteAsync(format);
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);

        var preview = await FilePreviewReader.ReadAsync(format, new MemoryRangeSource(bytes), Cap, Cancellation);

        var all = ResultFileFixture.Expected(rows).ToList();
        Assert.Equal(all.Count, preview.TotalRows);
        var battery = preview.Facts.Single(f => f.Column.Name == ColumnNames.BatteryPct).File;
        Assert.NotNull(battery);
        Assert.Equal(all.Count(r => r.BatteryPct is null), battery.Nulls);
        Assert.Equal(PreviewColumn.Format(all.Max(r => r.BatteryPct)), battery.Max);
        var signal = preview.Facts.Single(f => f.Column.Name == ColumnNames.SignalDbm).File;
        Assert.Equal(PreviewColumn.Format(all.Min(r => r.SignalDbm)), signal?.Min);
        Assert.Equal(all.Max(r => r.DeviceId), preview.Facts.Single(f => f.Column.Name == ColumnNames.DeviceId).File?.Max);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task TimestampsAreShownAsUtcDatesInTheRowsFactsAndFooterStatistics(FileFormat format)
    {
        var (files, rows) = await _fixture.WriteAsync(format);
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);

        var preview = await FilePreviewReader.ReadAsync(format, new MemoryRangeSource(bytes), Cap, Cancellation);

        var shown = ResultFileFixture.Expected(rows, 0, 100).ToList();
        var all = ResultFileFixture.Expected(rows).ToList();
        var timestamp = PreviewColumn.All.Single(c => c.Name == ColumnNames.Timestamp);
        Assert.Equal(shown[0].Timestamp.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), PreviewColumn.Format(timestamp.ValueOf(preview.Rows[0])));
        var facts = preview.Facts.Single(f => f.Column.Name == ColumnNames.Timestamp);
        Assert.Equal(Date(shown.Min(r => r.Timestamp)), facts.Min);
        Assert.Equal(Date(shown.Max(r => r.Timestamp)), facts.Max);
        if (format is FileFormat.Parquet or FileFormat.Orc)
        {
            Assert.NotNull(facts.File);
            Assert.Equal(Date(all.Min(r => r.Timestamp)), facts.File.Min);
            Assert.Equal(Date(all.Max(r => r.Timestamp)), facts.File.Max);
        }

        static string Date(DateTime value) => value.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) + "Z";
    }

    [Theory]
    [InlineData(FileFormat.Parquet)]
    [InlineData(FileFormat.Orc)]
    [InlineData(FileFormat.Csv)]
    [InlineData(FileFormat.Avro)]
    public async Task ALargerFileIsPreviewedFromAFractionOfItsBytes(FileFormat format)
    {
        var (files, rows) = await _fixture.WriteAsync(format, TimeSpan.FromDays(31));
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);
        var source = new MemoryRangeSource(bytes);

        var preview = await FilePreviewReader.ReadAsync(format, source, Cap, Cancellation);

        Assert.Equal(ResultFileFixture.Expected(rows, 0, 100), preview.Rows);
        Assert.Equal(source.BytesRead, preview.BytesRead);
        Assert.True(source.BytesRead * 2 < bytes.Length, $"read {source.BytesRead} of {bytes.Length} bytes");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ATruncatedFileGivesAClearMessage(FileFormat format)
    {
        var (files, _) = await _fixture.WriteAsync(format, TimeSpan.FromMinutes(10));
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);
        var truncated = bytes[..(bytes.Length * 2 / 3)];

        var problem = await Assert.ThrowsAsync<PreviewProblemException>(
            () => FilePreviewReader.ReadAsync(format, new MemoryRangeSource(truncated), Cap, Cancellation));

        Assert.False(problem.CapTooSmall);
        Assert.Contains($"cannot be read as {format.ApiName()}", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task ACapTooSmallForTheFirstRowsSaysSoAndReadsNoMore(FileFormat format)
    {
        var (files, _) = await _fixture.WriteAsync(format);
        var bytes = await File.ReadAllBytesAsync(files.Single().Path, Cancellation);
        var source = new MemoryRangeSource(bytes);

        var problem = await Assert.ThrowsAsync<PreviewProblemException>(
            () => FilePreviewReader.ReadAsync(format, source, maxBytes: 300, Cancellation));

        Assert.True(problem.CapTooSmall, problem.Message);
        Assert.Contains("limit", problem.Message, StringComparison.Ordinal);
        Assert.True(source.BytesRead <= 300, $"read {source.BytesRead} bytes");
    }

    [Theory]
    [InlineData("TestOrcFile.test1.orc")]
    [InlineData("TestOrcFile.testTimestamp.orc")]
    [InlineData("TestOrcFile.testSnappy.orc")]
    [InlineData("nulls-at-end-snappy.orc")]
    [InlineData("orc-file-11-format.orc")]
    [InlineData("TestVectorOrcFile.testLz4.orc")]
    [InlineData("demo-12-zlib.orc")]
    public void FirstRowsOfApacheOrcFilesFromTheFirstChunkOfEachStreamMatchAFullRead(string name)
    {
        using var full = OrcReader.Open(OrcTestData.File(name));
        var expected = full.ReadRows().Take(100).ToList();
        using var preview = OrcReader.Open(OrcTestData.File(name));

        var first = preview.ReadFirstRows(100);

        Assert.Equal(expected.Count, first.Count);
        Assert.Equal(expected, first);
    }

    [Theory]
    [InlineData(FileFormat.Csv, 1)]
    [InlineData(FileFormat.TextFile, 1)]
    [InlineData(FileFormat.Json, 1)]
    [InlineData(FileFormat.Avro, 1)]
    [InlineData(FileFormat.Parquet, 2)]
    [InlineData(FileFormat.Orc, 4)]
    public async Task APreviewTakesFewRoundTripsAndAtMostAMegabyte(FileFormat format, int roundTrips)
    {
        // 31 days of 7 devices: 312,480 rows, several stripes of ORC and row groups of PARQUET.
        var (files, rows) = await _fixture.WriteAsync(format, TimeSpan.FromDays(31));
        var source = new RoundTripSource(await File.ReadAllBytesAsync(files.Single().Path, Cancellation));

        var preview = await FilePreviewReader.ReadAsync(format, source, Cap, Cancellation);

        Assert.Equal(ResultFileFixture.Expected(rows, 0, 100), preview.Rows);
        Assert.True(source.RoundTrips <= roundTrips, $"{source.RoundTrips} round trips ({source.Reads} reads)");
        Assert.Equal(source.BytesRead, preview.BytesRead);
        // Every format: at most a mebibyte. A PARQUET file written with Parquet.Net holds one data page per column
        // chunk: the first page of each column is the first row group's chunk, read whole, beside the tail and the
        // magic, and not a byte more.
        Assert.True(preview.BytesRead <= 1024 * 1024, $"read {preview.BytesRead} bytes");
        if (format == FileFormat.Parquet)
        {
            var budget = await FirstRowGroupBytesAsync(files.Single().Path) + RangeCacheStream.MinFetch + 4;
            Assert.True(preview.BytesRead <= budget, $"read {preview.BytesRead} bytes of a budget of {budget}");
        }
    }

    private static async Task<long> FirstRowGroupBytesAsync(string path)
    {
        await using var reader = await Parquet.ParquetReader.CreateAsync(path, cancellationToken: Cancellation);
        return reader.Metadata!.RowGroups[0].Columns.Sum(c => c.MetaData!.TotalCompressedSize);
    }

    [Theory]
    [InlineData("TestOrcFile.test1.orc")]
    [InlineData("TestOrcFile.testTimestamp.orc")]
    [InlineData("TestOrcFile.testSnappy.orc")]
    [InlineData("nulls-at-end-snappy.orc")]
    [InlineData("orc-file-11-format.orc")]
    [InlineData("TestVectorOrcFile.testLz4.orc")]
    [InlineData("demo-12-zlib.orc")]
    public async Task TheRangesFetchedForApacheOrcFilesHoldTheirFirstRows(string name)
    {
        using var full = OrcReader.Open(OrcTestData.File(name));
        var expected = full.ReadRows().Take(100).ToList();
        var source = new MemoryRangeSource(await File.ReadAllBytesAsync(OrcTestData.File(name), Cancellation));
        await using var cache = await RangeCacheStream.OpenAsync(source, fromEnd: true, Cap, Cancellation);

        await FilePreviewReader.FetchOrcFirstRowsAsync(cache, Cancellation);

        // Read from what was fetched alone: a range missed would throw MissingRangeException.
        using var preview = new OrcReader(cache, leaveOpen: true, readStripeFooters: false);
        Assert.Equal(expected, preview.ReadFirstRows(100));
        Assert.True(source.Reads <= 4, $"{source.Reads} reads");
    }

    public void Dispose() => _fixture.Dispose();

    /// <summary>
    /// Serves a byte array a little later, and counts round trips: reads made while others are under way share one.
    /// </summary>
    private sealed class RoundTripSource(byte[] file) : IRangeSource
    {
        private readonly MemoryRangeSource _inner = new(file);
        private readonly Lock _lock = new();
        private int _underWay;

        public int RoundTrips { get; private set; }

        public int Reads => _inner.Reads;

        public long BytesRead => _inner.BytesRead;

        public async Task<RangeAnswer> ReadAsync(long? offset, int length, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                if (_underWay++ == 0)
                {
                    RoundTrips++;
                }
            }

            await Task.Delay(10, cancellationToken);
            lock (_lock)
            {
                _underWay--;
                return _inner.ReadAsync(offset, length, cancellationToken).Result;
            }
        }
    }
}
