using System.Text;

namespace DeviceStatus.Formats.Orc;

/// <summary>
/// The decoded values of one column of one stripe, kept in typed arrays: a value is boxed only when a row is
/// materialised as objects, and typed readers (<see cref="OrcReader.ReadDeviceStatusRows"/>) never box.
/// </summary>
internal abstract class ColumnVector
{
    public abstract object? Get(int index);

    public virtual bool IsNull(int index) => false;

    public virtual long GetInt64(int index) => throw WrongType("an integer");

    public virtual double GetDouble(int index) => throw WrongType("a double");

    public virtual string GetString(int index) => throw WrongType("a string");

    public virtual OrcTimestamp GetTimestamp(int index) => throw WrongType("a timestamp");

    private InvalidDataException WrongType(string expected) =>
        new($"Expected {expected} column, found values of {GetType().Name}.");
}

internal sealed class ValueVector<T>(T[] values) : ColumnVector
    where T : struct
{
    public override object? Get(int index) => values[index];
}

internal sealed class DoubleVector(double[] values) : ColumnVector
{
    public override object? Get(int index) => values[index];

    public override double GetDouble(int index) => values[index];
}

internal sealed class TimestampVector(OrcTimestamp[] values) : ColumnVector
{
    public override object? Get(int index) => values[index];

    public override OrcTimestamp GetTimestamp(int index) => values[index];
}

/// <summary>Short, int, long and date columns, all decoded as longs; boxed as the column's own type.</summary>
internal sealed class IntegerVector(long[] values, OrcTypeKind kind) : ColumnVector
{
    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    public override object? Get(int index)
    {
        var value = values[index];
        return kind switch
        {
            OrcTypeKind.Short => (short)value,
            OrcTypeKind.Int => (int)value,
            OrcTypeKind.Date => DateOnly.FromDayNumber(checked((int)(UnixEpochDay + value))),
            _ => value,
        };
    }

    public override long GetInt64(int index) => kind == OrcTypeKind.Date ? base.GetInt64(index) : values[index];
}

/// <summary>
/// Dictionary strings are decoded once per entry; direct strings only when a row asks for them, so each lives
/// as briefly as its row instead of surviving, with the whole stripe's worth, into the oldest generation.
/// </summary>
internal sealed class StringVector : ColumnVector
{
    private readonly string[]? _dictionary;
    private readonly int[] _indexes;
    private readonly byte[]? _data;

    public StringVector(string[] dictionary, int[] indexes)
    {
        _dictionary = dictionary;
        _indexes = indexes;
    }

    /// <param name="offsets">Value <c>i</c> is <c>data[offsets[i]..offsets[i + 1]]</c>.</param>
    public StringVector(byte[] data, int[] offsets)
    {
        _data = data;
        _indexes = offsets;
    }

    public override object? Get(int index) => GetString(index);

    public override string GetString(int index) =>
        _dictionary is not null
            ? _dictionary[_indexes[index]]
            : Decode(_data.AsSpan(_indexes[index], _indexes[index + 1] - _indexes[index]));

    public static string Decode(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? string.Empty : Encoding.UTF8.GetString(utf8);
}

/// <summary>Values that are objects anyway (binary, decimal, struct, list, map, union).</summary>
internal sealed class ObjectVector(object?[] values) : ColumnVector
{
    public override object? Get(int index) => values[index];

    public override bool IsNull(int index) => values[index] is null;
}

/// <summary>A column with nulls: row positions mapped onto its dense non-null values.</summary>
internal sealed class NullableVector(ColumnVector values, int[] valueIndexes) : ColumnVector
{
    public override object? Get(int index) => valueIndexes[index] < 0 ? null : values.Get(valueIndexes[index]);

    public override bool IsNull(int index) => valueIndexes[index] < 0 || values.IsNull(valueIndexes[index]);

    public override long GetInt64(int index) => values.GetInt64(valueIndexes[index]);

    public override double GetDouble(int index) => values.GetDouble(valueIndexes[index]);

    public override string GetString(int index) => values.GetString(valueIndexes[index]);

    public override OrcTimestamp GetTimestamp(int index) => values.GetTimestamp(valueIndexes[index]);
}
