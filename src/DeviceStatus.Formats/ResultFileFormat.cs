namespace DeviceStatus.Formats;

/// <summary>The six result file formats of the v3 API.</summary>
public enum ResultFileFormat
{
    Csv,
    Parquet,
    Json,
    Orc,
    Avro,
    TextFile,
}

/// <summary>What the contract's format table says about each format: its API name, extension and media type.</summary>
public static class ResultFileFormats
{
    public static IReadOnlyList<ResultFileFormat> All { get; } = Enum.GetValues<ResultFileFormat>();

    /// <summary>The name in requests and status answers (<c>CSV</c>, <c>TEXTFILE</c>, ...).</summary>
    public static string ApiName(this ResultFileFormat format) => format.ToString().ToUpperInvariant();

    /// <summary>Matches an API name case-insensitively.</summary>
    public static bool TryParseApiName(string? value, out ResultFileFormat format)
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

    /// <summary>The file extension without the dot.</summary>
    public static string Extension(this ResultFileFormat format) => format switch
    {
        ResultFileFormat.TextFile => "txt",
        _ => format.ToString().ToLowerInvariant(),
    };

    public static string ContentType(this ResultFileFormat format) => format switch
    {
        ResultFileFormat.Csv => "text/csv",
        ResultFileFormat.Parquet => "application/vnd.apache.parquet",
        ResultFileFormat.Json => "application/json",
        ResultFileFormat.Orc => "application/vnd.apache.orc",
        ResultFileFormat.Avro => "application/avro",
        ResultFileFormat.TextFile => "text/plain",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>The name of part <paramref name="index"/>: <c>part-00000.csv</c>, ...</summary>
    public static string PartFileName(this ResultFileFormat format, int index) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"part-{index:D5}.{format.Extension()}");
}
