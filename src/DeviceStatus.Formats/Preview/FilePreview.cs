using System.Globalization;

namespace DeviceStatus.Formats.Preview;

/// <summary>The contract's column types, as a preview grid shows them.</summary>
public enum ColumnKind
{
    Text,
    Timestamp,
    Number,
    WholeNumber,
}

/// <summary>One of the seven result columns and its declared type.</summary>
public sealed record PreviewColumn(string Name, ColumnKind Kind, bool Nullable)
{
    /// <summary>The contract's columns, in file order.</summary>
    public static IReadOnlyList<PreviewColumn> All { get; } =
    [
        new(ColumnNames.DeviceId, ColumnKind.Text, false),
        new(ColumnNames.Timestamp, ColumnKind.Timestamp, false),
        new(ColumnNames.Status, ColumnKind.Text, false),
        new(ColumnNames.BatteryPct, ColumnKind.Number, true),
        new(ColumnNames.TemperatureC, ColumnKind.Number, true),
        new(ColumnNames.SignalDbm, ColumnKind.WholeNumber, true),
        new(ColumnNames.Firmware, ColumnKind.Text, false),
    ];

    /// <summary>The value of this column in <paramref name="row"/>, typed (string, UTC DateTime, double, int) or null.</summary>
    public object? ValueOf(DeviceStatusRow row) => Name switch
    {
        ColumnNames.DeviceId => row.DeviceId,
        ColumnNames.Timestamp => row.Timestamp,
        ColumnNames.Status => row.Status,
        ColumnNames.BatteryPct => row.BatteryPct,
        ColumnNames.TemperatureC => row.TemperatureC,
        ColumnNames.SignalDbm => row.SignalDbm,
        _ => row.Firmware,
    };

    /// <summary>A value as the contract writes it (RFC 3339 timestamps, invariant numbers); null as an empty string.</summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        DateTime time => Rfc3339.Format(time),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        IFormattable other => other.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}

/// <summary>What the file's own footer says about a column over all its rows (PARQUET and ORC).</summary>
public sealed record FileColumnStatistics(long? Values, long? Nulls, string? Min, string? Max);

/// <summary>Facts about one column over the previewed rows, and the file's own statistics where it has them.</summary>
/// <param name="Distinct">Distinct values of a text column; null for other columns.</param>
public sealed record ColumnFacts(PreviewColumn Column, int Nulls, string? Min, string? Max, int? Distinct, FileColumnStatistics? File);

/// <summary>The first rows of a result file and what is known about its columns.</summary>
/// <param name="FileBytes">The whole file's size.</param>
/// <param name="BytesRead">What the preview fetched, never more than its cap.</param>
/// <param name="TotalRows">The file's row count when its footer says (PARQUET, ORC).</param>
public sealed record FilePreview(
    IReadOnlyList<DeviceStatusRow> Rows,
    IReadOnlyList<ColumnFacts> Facts,
    long FileBytes,
    long BytesRead,
    long? TotalRows)
{
    public static IReadOnlyList<ColumnFacts> FactsOf(IReadOnlyList<DeviceStatusRow> rows, IReadOnlyDictionary<string, FileColumnStatistics>? file = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var facts = new List<ColumnFacts>(PreviewColumn.All.Count);
        foreach (var column in PreviewColumn.All)
        {
            var values = rows.Select(column.ValueOf).ToList();
            var present = values.Where(v => v is not null).Select(v => v!).ToList();
            var min = present.Count == 0 ? null : present.Aggregate((a, b) => Compare(a, b) <= 0 ? a : b);
            var max = present.Count == 0 ? null : present.Aggregate((a, b) => Compare(a, b) >= 0 ? a : b);
            facts.Add(new ColumnFacts(
                column,
                values.Count - present.Count,
                min is null ? null : PreviewColumn.Format(min),
                max is null ? null : PreviewColumn.Format(max),
                column.Kind == ColumnKind.Text ? present.Distinct().Count() : null,
                file is not null && file.TryGetValue(column.Name, out var statistics) ? statistics : null));
        }

        return facts;
    }

    private static int Compare(object a, object b) =>
        a is string x && b is string y ? string.CompareOrdinal(x, y) : ((IComparable)a).CompareTo(b);
}
