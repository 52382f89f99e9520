namespace DeviceStatus.Formats;

/// <summary>The six result file formats of the v3 API.</summary>
public enum FileFormat
{
    Csv,
    Parquet,
    Json,
    Orc,
    Avro,
    TextFile,
}

/// <summary>
/// What the contract's format table says about each format: its API name, extension, media type and the vendor's
/// description. The simulator and the portal both take them from here.
/// </summary>
public static class FileFormats
{
    public static IReadOnlyList<FileFormat> All { get; } = Enum.GetValues<FileFormat>();

    /// <summary>The name in requests and status answers (<c>CSV</c>, <c>TEXTFILE</c>, ...).</summary>
    public static string ApiName(this FileFormat format) => format.ToString().ToUpperInvariant();

    /// <summary>Matches an API name case-insensitively.</summary>
    public static bool TryParseApiName(string? value, out FileFormat format)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ApiName(), value, StringComparison.OrdinalIgnoreCase))
            {
                format = candidate;
                return true;
            }
        }

        format = default;
        return false;
    }

    /// <summary>The vendor's description of each format, as users see it when choosing.</summary>
    public static string Description(this FileFormat format) => format switch
    {
        FileFormat.Csv => "Comma-separated values. Human-readable text format, compatible with most tools.",
        FileFormat.Parquet => "Columnar binary format. Efficient for large datasets and analytics workflows.",
        FileFormat.Json => "JSON array format. Well-suited for downstream processing in web applications.",
        FileFormat.Orc => "Optimized Row Columnar format. High performance for Hive/Spark environments.",
        FileFormat.Avro => "Row-based binary format with embedded schema. Good for data pipelines.",
        FileFormat.TextFile => "Tab-separated values without a header row, one line per row. Use when a simple, unformatted output is required.",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The file extension without the dot (<c>csv</c>, <c>txt</c>, ...).</summary>
    public static string Extension(this FileFormat format) => format switch
    {
        FileFormat.TextFile => "txt",
        _ => format.ToString().ToLowerInvariant(),
    };

    public static string ContentType(this FileFormat format) => format switch
    {
        FileFormat.Csv => "text/csv",
        FileFormat.Parquet => "application/vnd.apache.parquet",
        FileFormat.Json => "application/json",
        FileFormat.Orc => "application/vnd.apache.orc",
        FileFormat.Avro => "application/avro",
        FileFormat.TextFile => "text/plain",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Whether files of the format are text (CSV, JSON, TEXTFILE) rather than a binary container.</summary>
    public static bool IsText(this FileFormat format) => format is FileFormat.Csv or FileFormat.Json or FileFormat.TextFile;

    /// <summary>The name of part <paramref name="index"/>: <c>part-00000.csv</c>, ...</summary>
    public static string PartFileName(this FileFormat format, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"part-{index:D5}.{format.Extension()}");
}
