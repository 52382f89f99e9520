using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Orc;

public class OrcReaderReferenceFileTests
{
    public static TheoryData<string> FilesWithExpectedRows =>
    [
        "TestOrcFile.test1.orc",
        "TestOrcFile.testTimestamp.orc",
        "TestOrcFile.emptyFile.orc",
        "TestOrcFile.testSnappy.orc",
        "TestStringDictionary.testRowIndex.orc",
        "nulls-at-end-snappy.orc",
        "orc-file-11-format.orc",
        "TestOrcFile.testStringAndBinaryStatistics.orc",
        "TestOrcFile.testDate1900.orc",
        "TestVectorOrcFile.testLz4.orc",
    ];

    [Theory]
    [MemberData(nameof(FilesWithExpectedRows))]
    public void ReadsEveryRowAsTheReferenceToolsPrintIt(string name)
    {
        using var reader = OrcReader.Open(OrcTestData.File(name));
        var expected = OrcTestData.ExpectedRows(name).ToList();
        var rowNumber = 0;
        foreach (var row in reader.ReadRows())
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            Assert.True(rowNumber < expected.Count, $"more rows than the {expected.Count} expected");
            var expectedRow = expected[rowNumber];
            if (reader.Schema.Kind == OrcTypeKind.Struct)
            {
                for (var field = 0; field < row.Length; field++)
                {
                    var fieldName = reader.Schema.FieldNames[field];
                    var fieldType = reader.Schema.Children[field];
                    var legacyDecimal = fieldType.Kind == OrcTypeKind.Decimal && fieldType.Precision == 0;
                    OrcTestData.AssertMatches(expectedRow.GetProperty(fieldName), row[field], $"row {rowNumber}.{fieldName}", legacyDecimal);
                }
            }
            else
            {
                OrcTestData.AssertMatches(expectedRow, Assert.Single(row), $"row {rowNumber}");
            }

            rowNumber++;
        }

        Assert.Equal(expected.Count, rowNumber);
        Assert.Equal(reader.RowCount, rowNumber);
    }

    [Theory]
    [InlineData("TestVectorOrcFile.testZstd.0.12.orc", OrcCompressionKind.Zstd)]
    [InlineData("demo-12-zlib.orc", OrcCompressionKind.Zlib)]
    public void ReadsFilesWithoutExpectedRowsToTheFootersRowCount(string name, OrcCompressionKind compression)
    {
        using var reader = OrcReader.Open(OrcTestData.File(name));

        var rows = reader.ReadRows().Count(row => row.Length == reader.Schema.Children.Count);

        Assert.Equal(compression, reader.Compression);
        Assert.True(reader.RowCount > 0);
        Assert.Equal(reader.RowCount, rows);
    }

    [Fact]
    public void ReadsTheSchemaOfTheFileWithEveryType()
    {
        using var reader = OrcReader.Open(OrcTestData.File("TestOrcFile.test1.orc"));

        Assert.Equal(OrcCompressionKind.Zlib, reader.Compression);
        Assert.Equal(
            "struct<boolean1:boolean,byte1:tinyint,short1:smallint,int1:int,long1:bigint,float1:float,double1:double,bytes1:binary,string1:string,middle:struct<list:array<struct<int1:int,string1:string>>>,list:array<struct<int1:int,string1:string>>,map:map<string,struct<int1:int,string1:string>>>",
            reader.Schema.ToString());
        var int1 = reader.Schema.Children[3];
        var string1 = reader.Schema.Children[8];
        Assert.Equal(2UL, reader.ColumnStatistics[0].NumberOfValues);
        Assert.Equal(65536, reader.ColumnStatistics[int1.Id].IntegerMinimum);
        Assert.Equal(65536, reader.ColumnStatistics[int1.Id].IntegerMaximum);
        Assert.Equal("bye", reader.ColumnStatistics[string1.Id].StringMinimum);
        Assert.Equal("hi", reader.ColumnStatistics[string1.Id].StringMaximum);
        Assert.All(reader.Stripes, stripe => Assert.Equal("US/Pacific", stripe.WriterTimezone));
    }

    [Fact]
    public void ReadsFromAStreamThatCannotSeek()
    {
        var bytes = File.ReadAllBytes(OrcTestData.File("TestOrcFile.testSnappy.orc"));
        using var reader = new OrcReader(new ForwardOnlyStream(bytes));

        Assert.Equal(OrcCompressionKind.Snappy, reader.Compression);
        Assert.Equal(10_000, reader.ReadRows().Count());
    }

    private sealed class ForwardOnlyStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
