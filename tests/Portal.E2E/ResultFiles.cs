extern alias simulator;

using CsvHelper;
using Parquet;
using DeviceStatus.Formats.Orc;

namespace Portal.E2E;

/// <summary>Reads a downloaded result file with an independent reader and returns its columns and row count.</summary>
public static class ResultFiles
{
    public static readonly string[] Columns =
        ["device_id", "timestamp", "status", "battery_pct", "temperature_c", "signal_dbm", "firmware"];

    public static async Task<(string[] Columns, long Rows)> ReadAsync(string path, string format) => format switch
    {
        "CSV" => ReadCsv(path),
        "PARQUET" => await ReadParquetAsync(path),
        "ORC" => ReadOrc(path),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no reader for this format in the browser tests"),
    };

    private static (string[], long) ReadCsv(string path)
    {
        using var csv = CsvReader.FromFile(path, new CsvReaderOptions { Separator = ',' });
        string[] header = [];
        long rows = 0;
        while (csv.Read())
        {
            header = [.. csv.Headers];
            Assert.False(csv.IsEmpty(0), "every row names its device");
            rows++;
        }
        return (header, rows);
    }

    private static async Task<(string[], long)> ReadParquetAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var rows = 0L;
        for (var group = 0; group < reader.RowGroupCount; group++)
        {
            using var rowGroup = reader.OpenRowGroupReader(group);
            rows += rowGroup.RowCount;
        }
        return (reader.Schema.DataFields.Select(f => f.Name).ToArray(), rows);
    }

    private static (string[], long) ReadOrc(string path)
    {
        using var reader = OrcReader.Open(path);
        var rows = reader.ReadDeviceStatusRows().LongCount();
        Assert.Equal(reader.RowCount, rows);
        return (reader.Schema.FieldNames.ToArray(), rows);
    }
}
