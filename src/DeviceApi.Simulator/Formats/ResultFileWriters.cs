using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Formats;

/// <summary>Creates the writer of a result file for each format.</summary>
public static class ResultFileWriters
{
    /// <summary>A writer of one file of <paramref name="format"/> onto <paramref name="output"/>, which stays open.</summary>
    public static IResultFileWriter Create(ResultFileFormat format, Stream output) => format switch
    {
        ResultFileFormat.Csv => new CsvResultFileWriter(output),
        ResultFileFormat.Parquet => new ParquetResultFileWriter(output),
        ResultFileFormat.Json => new JsonResultFileWriter(output),
        ResultFileFormat.Avro => new AvroResultFileWriter(output),
        ResultFileFormat.TextFile => new TextFileResultFileWriter(output),
        ResultFileFormat.Orc => new OrcDeviceStatusWriter(output),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}
