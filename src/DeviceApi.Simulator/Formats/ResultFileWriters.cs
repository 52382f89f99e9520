using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Formats;

/// <summary>Creates the writer of a result file for each format.</summary>
public static class ResultFileWriters
{
    /// <summary>A writer of one file of <paramref name="format"/> onto <paramref name="output"/>, which stays open.</summary>
    public static IResultFileWriter Create(FileFormat format, Stream output) => format switch
    {
        FileFormat.Csv => new CsvResultFileWriter(output),
        FileFormat.Parquet => new ParquetResultFileWriter(output),
        FileFormat.Json => new JsonResultFileWriter(output),
        FileFormat.Avro => new AvroResultFileWriter(output),
        FileFormat.TextFile => new TextFileResultFileWriter(output),
        FileFormat.Orc => new OrcDeviceStatusWriter(output),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}
