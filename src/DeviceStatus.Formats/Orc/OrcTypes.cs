using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace DeviceStatus.Formats.Orc;

/// <summary>Compression codecs of the ORC postscript, numbered as in the specification.</summary>
public enum OrcCompressionKind
{
    None = 0,
    Zlib = 1,
    Snappy = 2,
    Lzo = 3,
    Lz4 = 4,
    Zstd = 5,
}

/// <summary>Type kinds of the ORC footer, numbered as in the specification.</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The names are ORC's type names.")]
public enum OrcTypeKind
{
    Boolean = 0,
    Byte = 1,
    Short = 2,
    Int = 3,
    Long = 4,
    Float = 5,
    Double = 6,
    String = 7,
    Binary = 8,
    Timestamp = 9,
    List = 10,
    Map = 11,
    Struct = 12,
    Union = 13,
    Decimal = 14,
    Date = 15,
    Varchar = 16,
    Char = 17,
    TimestampInstant = 18,
}

/// <summary>Column encodings of a stripe footer, numbered as in the specification.</summary>
public enum OrcColumnEncodingKind
{
    Direct = 0,
    Dictionary = 1,
    DirectV2 = 2,
    DictionaryV2 = 3,
}

/// <summary>One node of an ORC schema; <see cref="Id"/> is its column number (the root struct is 0).</summary>
public sealed class OrcType
{
    internal OrcType(int id, OrcTypeKind kind, IReadOnlyList<OrcType> children, IReadOnlyList<string> fieldNames, int maximumLength, int precision, int scale)
    {
        Id = id;
        Kind = kind;
        Children = children;
        FieldNames = fieldNames;
        MaximumLength = maximumLength;
        Precision = precision;
        Scale = scale;
    }

    public int Id { get; }

    public OrcTypeKind Kind { get; }

    public IReadOnlyList<OrcType> Children { get; }

    /// <summary>Field names of a struct, in the order of <see cref="Children"/>; empty for other kinds.</summary>
    public IReadOnlyList<string> FieldNames { get; }

    public int MaximumLength { get; }

    public int Precision { get; }

    public int Scale { get; }

    /// <summary>The schema in ORC's own notation, e.g. <c>struct&lt;a:int,b:string&gt;</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        Append(text);
        return text.ToString();
    }

    private void Append(StringBuilder text)
    {
        switch (Kind)
        {
            case OrcTypeKind.Struct:
                text.Append("struct<");
                for (var i = 0; i < Children.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",").Append(FieldNames[i]).Append(':');
                    Children[i].Append(text);
                }

                text.Append('>');
                break;
            case OrcTypeKind.List:
                text.Append("array<");
                Children[0].Append(text);
                text.Append('>');
                break;
            case OrcTypeKind.Map:
            case OrcTypeKind.Union:
                text.Append(Kind == OrcTypeKind.Map ? "map<" : "uniontype<");
                for (var i = 0; i < Children.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",");
                    Children[i].Append(text);
                }

                text.Append('>');
                break;
            case OrcTypeKind.Decimal:
                text.Append(CultureInfo.InvariantCulture, $"decimal({Precision},{Scale})");
                break;
            case OrcTypeKind.Varchar:
            case OrcTypeKind.Char:
                text.Append(CultureInfo.InvariantCulture, $"{(Kind == OrcTypeKind.Char ? "char" : "varchar")}({MaximumLength})");
                break;
            case OrcTypeKind.TimestampInstant:
                text.Append("timestamp with local time zone");
                break;
            case OrcTypeKind.Byte:
                text.Append("tinyint");
                break;
            case OrcTypeKind.Short:
                text.Append("smallint");
                break;
            case OrcTypeKind.Long:
                text.Append("bigint");
                break;
            default:
                text.Append(Kind.ToString().ToLowerInvariant());
                break;
        }
    }
}

/// <summary>
/// An ORC timestamp: seconds since 1970-01-01 00:00:00 and a nanosecond part (0 to 999,999,999, always
/// positive). For a TIMESTAMP column this is the wall-clock time of the writer's time zone, which for files
/// written with time zone UTC is the UTC instant.
/// </summary>
public readonly record struct OrcTimestamp(long Seconds, int Nanoseconds)
{
    /// <summary>The timestamp as a UTC <see cref="DateTime"/>, truncated to its 100 ns ticks.</summary>
    public DateTime ToDateTime() =>
        new(DateTime.UnixEpoch.Ticks + (Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / 100), DateTimeKind.Utc);

    /// <summary>The timestamp of a UTC <see cref="DateTime"/>; an unspecified kind counts as UTC.</summary>
    public static OrcTimestamp FromDateTime(DateTime value)
    {
        var ticks = (value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value).Ticks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }

        return new OrcTimestamp(seconds, (int)remainder * 100);
    }

    /// <summary>As the ORC tools print it: <c>yyyy-MM-dd HH:mm:ss.f</c> with as many digits as needed, at least one.</summary>
    public override string ToString()
    {
        var time = DateTime.UnixEpoch.AddSeconds(Seconds);
        var fraction = Nanoseconds.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0');
        return time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + "." + (fraction.Length == 0 ? "0" : fraction);
    }
}

/// <summary>A value of a union column: which alternative (<see cref="Tag"/>) and its value.</summary>
public readonly record struct OrcUnion(int Tag, object? Value);

/// <summary>File-level statistics of one column, as far as the writer recorded them.</summary>
public sealed record OrcColumnStatistics(
    ulong NumberOfValues,
    bool HasNull,
    long? IntegerMinimum,
    long? IntegerMaximum,
    double? DoubleMinimum,
    double? DoubleMaximum,
    string? StringMinimum,
    string? StringMaximum,
    OrcTimestamp? TimestampMinimum,
    OrcTimestamp? TimestampMaximum);

/// <summary>Where a stripe lies, how many rows it holds, and what its footer says.</summary>
public sealed record OrcStripeInfo(
    long Offset,
    long IndexLength,
    long DataLength,
    long FooterLength,
    long RowCount,
    string? WriterTimezone,
    IReadOnlyList<OrcColumnEncodingKind> ColumnEncodings);
