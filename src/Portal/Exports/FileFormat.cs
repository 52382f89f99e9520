namespace Portal.Exports;

/// <summary>The result file formats the upstream offers.</summary>
public enum FileFormat
{
    Csv,
    Parquet,
    Json,
    Orc,
    Avro,
    TextFile,
}

public static class FileFormats
{
    public static IReadOnlyList<FileFormat> All { get; } = Enum.GetValues<FileFormat>();

    /// <summary>The name the upstream API uses (<c>CSV</c>, <c>TEXTFILE</c>, ...).</summary>
    public static string UpstreamName(this FileFormat format) => format.ToString().ToUpperInvariant();

    public static bool TryParseUpstreamName(string? value, out FileFormat format) =>
        Enum.TryParse(value, ignoreCase: true, out format) && Enum.IsDefined(format);

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

    public static string Extension(this FileFormat format) => format switch
    {
        FileFormat.TextFile => ".txt",
        _ => "." + format.ToString().ToLowerInvariant(),
    };
}
