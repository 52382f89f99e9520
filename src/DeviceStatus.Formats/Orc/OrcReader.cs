using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using K4os.Compression.LZ4;

namespace DeviceStatus.Formats.Orc;

/// <summary>
/// Reads ORC files (format 0.11 and 0.12) as written by Apache ORC and by <see cref="OrcDeviceStatusWriter"/>:
/// compression NONE, ZLIB, SNAPPY, LZ4 and ZSTD; all primitive types, struct, list, map and union. Values come
/// back as bool, sbyte, short, int, long, float, double, string, byte[] (binary), <see cref="OrcTimestamp"/>,
/// <see cref="DateOnly"/>, decimal, <c>Dictionary&lt;string, object?&gt;</c> (struct), <c>List&lt;object?&gt;</c>
/// (list), <c>List&lt;KeyValuePair&lt;object?, object?&gt;&gt;</c> (map) and <see cref="OrcUnion"/>; null stays null.
/// One stripe at a time is held in memory.
/// </summary>
// Over 1,000 lines in one class, as the ORC format needs: every column reader uses the types, statistics and stripes read once from the footer.
public sealed class OrcReader : IDisposable
{
    private const long OrcEpochSeconds = 1_420_070_400;

    /// <summary>Integers decoded at a time where the values end up in another form (indexes, offsets, timestamps).</summary>
    private const int DecodeChunk = 1024;
    private const int PresentStream = 0, DataStream = 1, LengthStream = 2, DictionaryDataStream = 3, SecondaryStream = 5;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly List<OrcType> _types;
    private readonly List<OrcColumnStatistics> _statistics = [];
    private readonly List<OrcStripeInfo> _stripes = [];

    /// <param name="readStripeFooters">
    /// False leaves <see cref="OrcStripeInfo.WriterTimezone"/> and <see cref="OrcStripeInfo.ColumnEncodings"/> empty and
    /// reads nothing but the file's tail on opening (a preview over ranged reads wants no more).
    /// </param>
    public OrcReader(Stream stream, bool leaveOpen = false, bool readStripeFooters = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            if (!leaveOpen)
            {
                stream.Dispose();
            }

            stream = copy;
            leaveOpen = false;
        }

        _stream = stream;
        _leaveOpen = leaveOpen;

        var fileLength = stream.Length;
        if (fileLength < 4)
        {
            throw new InvalidDataException("Too short for an ORC file.");
        }

        var tailLength = (int)Math.Min(fileLength, 16 * 1024);
        var tail = ReadAt(fileLength - tailLength, tailLength);
        var postscriptLength = tail[^1];
        var postscript = tail.AsSpan(tail.Length - 1 - postscriptLength, postscriptLength);
        ulong footerLength = 0, metadataLength = 0;
        var versions = new List<ulong>();
        var magic = "";
        var reader = new ProtoReader(postscript);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: footerLength = reader.Varint(); break;
                case 2: Compression = (OrcCompressionKind)reader.Varint(); break;
                case 3: CompressionBlockSize = (int)reader.Varint(); break;
                case 4: reader.UInt64s(versions); break;
                case 5: metadataLength = reader.Varint(); break;
                case 6: WriterVersion = (int)reader.Varint(); break;
                case 8000: magic = reader.String(); break;
                default: reader.Skip(); break;
            }
        }

        if (magic != "ORC")
        {
            throw new InvalidDataException("The postscript does not end with the ORC magic.");
        }

        FileVersion = [.. versions.Select(v => (int)v)];
        _ = metadataLength;
        var footerStart = fileLength - 1 - postscriptLength - (long)footerLength;
        var footerBytes = ReadAt(footerStart, (int)footerLength);
        var footer = Decompress(footerBytes, 0, footerBytes.Length);
        _types = ParseFooter(footer, readStripeFooters);
        Schema = _types[0];
    }

    /// <summary>The root type; rows are the fields of this struct (or the single value of a non-struct root).</summary>
    public OrcType Schema { get; }

    public long RowCount { get; private set; }

    public OrcCompressionKind Compression { get; private set; }

    public int CompressionBlockSize { get; private set; } = 256 * 1024;

    /// <summary>The file format version from the postscript, e.g. [0, 12].</summary>
    public IReadOnlyList<int> FileVersion { get; }

    public int WriterVersion { get; private set; }

    public string? SoftwareVersion { get; private set; }

    public IReadOnlyList<OrcStripeInfo> Stripes => _stripes;

    /// <summary>File statistics per column, indexed by <see cref="OrcType.Id"/>.</summary>
    public IReadOnlyList<OrcColumnStatistics> ColumnStatistics => _statistics;

    public static OrcReader Open(string path) => new(File.OpenRead(path));

    /// <summary>All rows in file order, one array element per top-level field.</summary>
    public IEnumerable<object?[]> ReadRows()
    {
        for (var index = 0; index < _stripes.Count; index++)
        {
            using var stripe = OpenStripe(index);
            var fields = ReadStripeFields(stripe);
            for (var i = 0; i < stripe.RowCount; i++)
            {
                var row = new object?[fields.Length];
                for (var f = 0; f < fields.Length; f++)
                {
                    row[f] = fields[f].Get(i);
                }

                yield return row;
            }
        }
    }

    /// <summary>
    /// The first rows of the first stripe (at most <paramref name="maxRows"/>), read from the first compression chunk of
    /// each of its streams only: the stripe footer and those chunks are all this touches, however large the stripe.
    /// A stream whose first rows do not fit its first chunk is reported as invalid data.
    /// </summary>
    public IReadOnlyList<object?[]> ReadFirstRows(int maxRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        if (_stripes.Count == 0 || maxRows == 0)
        {
            return [];
        }

        var info = _stripes[0];
        var footerBytes = ReadAt(info.Offset + info.IndexLength + info.DataLength, (int)info.FooterLength);
        var footer = ParseStripeFooter(Decompress(footerBytes, 0, footerBytes.Length));
        var rowCount = (int)Math.Min(maxRows, info.RowCount);
        // One chunk per stream holds the first rows of files written with ordinary block sizes; small blocks take more.
        for (var chunks = 1; ; chunks *= 4)
        {
            var (data, locations, partial) = FirstChunks(info, footer, chunks);
            try
            {
                using var context = new StripeContext(this, data, footer, rowCount, locations);
                var fields = ReadStripeFields(context);
                var rows = new List<object?[]>(rowCount);
                for (var i = 0; i < rowCount; i++)
                {
                    var row = new object?[fields.Length];
                    for (var f = 0; f < fields.Length; f++)
                    {
                        row[f] = fields[f].Get(i);
                    }

                    rows.Add(row);
                }

                return rows;
            }
            catch (InvalidDataException) when (partial)
            {
            }
        }
    }

    /// <summary>
    /// The file ranges <see cref="ReadFirstRows"/> reads, for a caller that fetches them before reading: the first
    /// stripe's streams (<paramref name="firstChunksKnown"/> false), or only the first compression chunk of each, which
    /// takes the bytes of each chunk's header (true). Either way the first stripe's footer is read.
    /// </summary>
    public IReadOnlyList<(long Offset, long Length)> FirstStripeRanges(bool firstChunksKnown)
    {
        if (_stripes.Count == 0)
        {
            return [];
        }

        var info = _stripes[0];
        var footerBytes = ReadAt(info.Offset + info.IndexLength + info.DataLength, (int)info.FooterLength);
        var footer = ParseStripeFooter(Decompress(footerBytes, 0, footerBytes.Length));
        var ranges = new List<(long Offset, long Length)>(footer.Streams.Count);
        var offset = info.Offset;
        foreach (var (_, _, length) in footer.Streams)
        {
            ranges.Add((offset, firstChunksKnown ? FirstChunkLength(offset, length, 1) : length));
            offset += length;
        }

        return ranges;
    }

    /// <summary>The bytes of a stream's first <paramref name="chunks"/> compression chunks, from their headers.</summary>
    private long FirstChunkLength(long offset, long length, int chunks)
    {
        if (Compression == OrcCompressionKind.None)
        {
            return Math.Min(length, (long)chunks * CompressionBlockSize);
        }

        long take = 0;
        for (var chunk = 0; chunk < chunks && take + 3 <= length; chunk++)
        {
            var header = ReadAt(offset + take, 3);
            take = Math.Min(length, take + 3 + ((header[0] | (header[1] << 8) | (header[2] << 16)) >> 1));
        }

        return take;
    }

    /// <summary>The first <paramref name="chunks"/> compression chunks of every stream of a stripe, and whether any stream has more.</summary>
    private (byte[] Data, Dictionary<(int Column, int Kind), (int Offset, int Length)> Locations, bool Partial) FirstChunks(
        OrcStripeInfo info, StripeFooter footer, int chunks)
    {
        using var buffer = new ByteBuffer(64 * 1024);
        var locations = new Dictionary<(int Column, int Kind), (int Offset, int Length)>();
        var partial = false;
        var offset = info.Offset;
        foreach (var (kind, column, length) in footer.Streams)
        {
            var take = FirstChunkLength(offset, length, chunks);
            partial |= take < length;
            locations[(column, kind)] = (buffer.Length, (int)take);
            buffer.Add(ReadAt(offset, (int)take));
            offset += length;
        }

        return (buffer.ToArray(), locations, partial);
    }

    /// <summary>All rows of a result file, its columns found by name.</summary>
    public IEnumerable<DeviceStatusRow> ReadDeviceStatusRows()
    {
        if (Schema.Kind != OrcTypeKind.Struct)
        {
            throw new InvalidDataException($"Expected a struct of result columns, found {Schema}.");
        }

        var names = Schema.FieldNames.Select((name, index) => (name, index)).ToDictionary(f => f.name, f => f.index, StringComparer.Ordinal);
        int Field(string name) => names.TryGetValue(name, out var index)
            ? index
            : throw new InvalidDataException($"The file has no column {name}: {Schema}.");
        var deviceId = Field("device_id");
        var timestamp = Field("timestamp");
        var status = Field("status");
        var battery = Field("battery_pct");
        var temperature = Field("temperature_c");
        var signal = Field("signal_dbm");
        var firmware = Field("firmware");

        for (var index = 0; index < _stripes.Count; index++)
        {
            using var stripe = OpenStripe(index);
            var fields = ReadStripeFields(stripe);
            var rowCount = stripe.RowCount;
            var (deviceIds, timestamps, statuses, batteries, temperatures, signals, firmwares) =
                (fields[deviceId], fields[timestamp], fields[status], fields[battery], fields[temperature], fields[signal], fields[firmware]);
            for (var i = 0; i < rowCount; i++)
            {
                yield return new DeviceStatusRow(
                    Required(deviceIds, i, "device_id").GetString(i),
                    Required(timestamps, i, "timestamp").GetTimestamp(i).ToDateTime(),
                    Required(statuses, i, "status").GetString(i),
                    batteries.IsNull(i) ? null : batteries.GetDouble(i),
                    temperatures.IsNull(i) ? null : temperatures.GetDouble(i),
                    signals.IsNull(i) ? null : checked((int)signals.GetInt64(i)),
                    Required(firmwares, i, "firmware").GetString(i));
            }
        }
    }

    private static ColumnVector Required(ColumnVector column, int row, string name) =>
        column.IsNull(row) ? throw new InvalidDataException($"Column {name} is null in row {row} of a stripe.") : column;

    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private List<OrcType> ParseFooter(byte[] footer, bool readStripeFooters)
    {
        var rawTypes = new List<(OrcTypeKind Kind, List<ulong> Children, List<string> Names, int MaxLength, int Precision, int Scale)>();
        var rawStripes = new List<(long Offset, long Index, long Data, long Footer, long Rows)>();
        var reader = new ProtoReader(footer);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 3:
                    rawStripes.Add(ParseStripeInformation(reader.Bytes()));
                    break;
                case 4:
                    rawTypes.Add(ParseType(reader.Bytes()));
                    break;
                case 6:
                    RowCount = (long)reader.Varint();
                    break;
                case 7:
                    _statistics.Add(ParseStatistics(reader.Bytes()));
                    break;
                case 12:
                    SoftwareVersion = reader.String();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        var types = new OrcType?[rawTypes.Count];
        OrcType Build(int id)
        {
            if (types[id] is { } built)
            {
                return built;
            }

            var raw = rawTypes[id];
            var children = raw.Children.Select(c => Build((int)c)).ToList();
            return types[id] = new OrcType(id, raw.Kind, children, raw.Names, raw.MaxLength, raw.Precision, raw.Scale);
        }

        if (rawTypes.Count == 0)
        {
            throw new InvalidDataException("The footer has no types.");
        }

        for (var id = rawTypes.Count - 1; id >= 0; id--)
        {
            Build(id);
        }

        foreach (var (offset, index, data, footerLength, rows) in rawStripes)
        {
            if (!readStripeFooters)
            {
                _stripes.Add(new OrcStripeInfo(offset, index, data, footerLength, rows, null, []));
                continue;
            }

            var stripeFooterBytes = ReadAt(offset + index + data, (int)footerLength);
            var stripeFooter = ParseStripeFooter(Decompress(stripeFooterBytes, 0, stripeFooterBytes.Length));
            _stripes.Add(new OrcStripeInfo(offset, index, data, footerLength, rows, stripeFooter.Timezone, stripeFooter.Encodings.Select(e => e.Kind).ToList()));
        }

        return [.. types.Select(t => t!)];
    }

    private static (long, long, long, long, long) ParseStripeInformation(ReadOnlySpan<byte> message)
    {
        long offset = 0, index = 0, data = 0, footer = 0, rows = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: offset = (long)reader.Varint(); break;
                case 2: index = (long)reader.Varint(); break;
                case 3: data = (long)reader.Varint(); break;
                case 4: footer = (long)reader.Varint(); break;
                case 5: rows = (long)reader.Varint(); break;
                default: reader.Skip(); break;
            }
        }

        return (offset, index, data, footer, rows);
    }

    private static (OrcTypeKind, List<ulong>, List<string>, int, int, int) ParseType(ReadOnlySpan<byte> message)
    {
        var kind = OrcTypeKind.Boolean;
        var children = new List<ulong>();
        var names = new List<string>();
        int maxLength = 0, precision = 0, scale = 0;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: kind = (OrcTypeKind)reader.Varint(); break;
                case 2: reader.UInt64s(children); break;
                case 3: names.Add(reader.String()); break;
                case 4: maxLength = (int)reader.Varint(); break;
                case 5: precision = (int)reader.Varint(); break;
                case 6: scale = (int)reader.Varint(); break;
                default: reader.Skip(); break;
            }
        }

        return (kind, children, names, maxLength, precision, scale);
    }

    private static OrcColumnStatistics ParseStatistics(ReadOnlySpan<byte> message)
    {
        ulong count = 0;
        var hasNull = false;
        long? intMin = null, intMax = null, timeMin = null, timeMax = null;
        int timeMinNanos = 0, timeMaxNanos = 999_999;
        double? doubleMin = null, doubleMax = null;
        string? stringMin = null, stringMax = null;
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1:
                    count = reader.Varint();
                    break;
                case 2:
                    var ints = new ProtoReader(reader.Bytes());
                    while (ints.Next())
                    {
                        switch (ints.Field)
                        {
                            case 1: intMin = ints.SInt64(); break;
                            case 2: intMax = ints.SInt64(); break;
                            default: ints.Skip(); break;
                        }
                    }

                    break;
                case 3:
                    var doubles = new ProtoReader(reader.Bytes());
                    while (doubles.Next())
                    {
                        switch (doubles.Field)
                        {
                            case 1: doubleMin = doubles.Double(); break;
                            case 2: doubleMax = doubles.Double(); break;
                            default: doubles.Skip(); break;
                        }
                    }

                    break;
                case 4:
                    var strings = new ProtoReader(reader.Bytes());
                    while (strings.Next())
                    {
                        switch (strings.Field)
                        {
                            case 1: stringMin = strings.String(); break;
                            case 2: stringMax = strings.String(); break;
                            default: strings.Skip(); break;
                        }
                    }

                    break;
                case 9:
                    var times = new ProtoReader(reader.Bytes());
                    while (times.Next())
                    {
                        switch (times.Field)
                        {
                            case 3: timeMin = times.SInt64(); break;
                            case 4: timeMax = times.SInt64(); break;
                            case 5: timeMinNanos = (int)times.Varint() - 1; break;
                            case 6: timeMaxNanos = (int)times.Varint() - 1; break;
                            default: times.Skip(); break;
                        }
                    }

                    break;
                case 10:
                    hasNull = reader.Varint() != 0;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new OrcColumnStatistics(
            count,
            hasNull,
            intMin,
            intMax,
            doubleMin,
            doubleMax,
            stringMin,
            stringMax,
            timeMin is { } min ? new OrcTimestamp(Math.DivRem(min, 1000, out var minRest) - (minRest < 0 ? 1 : 0), (int)(((minRest + 1000) % 1000) * 1_000_000) + timeMinNanos) : null,
            timeMax is { } max ? new OrcTimestamp(Math.DivRem(max, 1000, out var maxRest) - (maxRest < 0 ? 1 : 0), (int)(((maxRest + 1000) % 1000) * 1_000_000) + timeMaxNanos) : null);
    }

    private static StripeFooter ParseStripeFooter(byte[] message)
    {
        var footer = new StripeFooter();
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1:
                    var stream = new ProtoReader(reader.Bytes());
                    int kind = 0, column = 0;
                    long length = 0;
                    while (stream.Next())
                    {
                        switch (stream.Field)
                        {
                            case 1: kind = (int)stream.Varint(); break;
                            case 2: column = (int)stream.Varint(); break;
                            case 3: length = (long)stream.Varint(); break;
                            default: stream.Skip(); break;
                        }
                    }

                    footer.Streams.Add((kind, column, length));
                    break;
                case 2:
                    var encoding = new ProtoReader(reader.Bytes());
                    var encodingKind = OrcColumnEncodingKind.Direct;
                    var dictionarySize = 0;
                    while (encoding.Next())
                    {
                        switch (encoding.Field)
                        {
                            case 1: encodingKind = (OrcColumnEncodingKind)encoding.Varint(); break;
                            case 2: dictionarySize = (int)encoding.Varint(); break;
                            default: encoding.Skip(); break;
                        }
                    }

                    footer.Encodings.Add((encodingKind, dictionarySize));
                    break;
                case 3:
                    footer.Timezone = reader.String();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return footer;
    }

    private byte[] ReadAt(long offset, int length)
    {
        var buffer = new byte[length];
        _stream.Position = offset;
        _stream.ReadExactly(buffer);
        return buffer;
    }

    private byte[] Decompress(byte[] source, int offset, int length)
    {
        if (Compression == OrcCompressionKind.None)
        {
            return source.AsSpan(offset, length).ToArray();
        }

        using var output = new ByteBuffer(Math.Max(length * 4, 1024));
        DecompressInto(output, source, offset, length);
        return output.ToArray();
    }

    private void DecompressInto(ByteBuffer output, byte[] source, int offset, int length)
    {
        var end = offset + length;
        while (offset < end)
        {
            if (end - offset < 3)
            {
                throw new InvalidDataException("Truncated ORC compression chunk header.");
            }

            var header = source[offset] | (source[offset + 1] << 8) | (source[offset + 2] << 16);
            var chunkLength = header >> 1;
            var chunkStart = offset + 3;
            var chunk = source.AsSpan(chunkStart, chunkLength);
            offset = chunkStart + chunkLength;
            if ((header & 1) != 0)
            {
                output.Add(chunk);
                continue;
            }

            switch (Compression)
            {
                case OrcCompressionKind.Zlib:
                    // Over the source array itself: a copy of each chunk would cost as much as inflating it.
                    using (var deflate = new DeflateStream(new MemoryStream(source, chunkStart, chunkLength, writable: false), CompressionMode.Decompress))
                    {
                        while (true)
                        {
                            var read = deflate.Read(output.GetSpan(CompressionBlockSize));
                            if (read == 0)
                            {
                                break;
                            }

                            output.Advance(read);
                        }
                    }

                    break;
                case OrcCompressionKind.Snappy:
                    var size = Snappier.Snappy.GetUncompressedLength(chunk);
                    output.Advance(Snappier.Snappy.Decompress(chunk, output.GetSpan(size)));
                    break;
                case OrcCompressionKind.Lz4:
                    var decoded = LZ4Codec.Decode(chunk, output.GetSpan(CompressionBlockSize)[..CompressionBlockSize]);
                    if (decoded < 0)
                    {
                        throw new InvalidDataException("Corrupt LZ4 chunk.");
                    }

                    output.Advance(decoded);
                    break;
                case OrcCompressionKind.Zstd:
                    using (var zstd = new ZstdSharp.Decompressor())
                    {
                        output.Add(zstd.Unwrap(chunk));
                    }

                    break;
                case OrcCompressionKind.None:
                case OrcCompressionKind.Lzo:
                default:
                    throw new NotSupportedException($"ORC compression {Compression} is not supported.");
            }
        }
    }

    /// <summary>Stripe data and footer; what its columns decode into lives until the stripe is disposed.</summary>
    private StripeContext OpenStripe(int index)
    {
        var info = _stripes[index];
        var footerBytes = ReadAt(info.Offset + info.IndexLength + info.DataLength, (int)info.FooterLength);
        var footer = ParseStripeFooter(Decompress(footerBytes, 0, footerBytes.Length));
        var length = checked((int)(info.IndexLength + info.DataLength));
        var stripe = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _stream.Position = info.Offset;
            _stream.ReadExactly(stripe, 0, length);
            return new StripeContext(this, stripe, footer, checked((int)info.RowCount));
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(stripe);
            throw;
        }
    }

    /// <summary>The top-level fields of one stripe as columns (the root value itself when it is no struct).</summary>
    private ColumnVector[] ReadStripeFields(StripeContext context)
    {
        var rows = context.RowCount;
        if (Schema.Kind != OrcTypeKind.Struct)
        {
            return [ReadVector(context, Schema, rows)];
        }

        var rootIndexes = ValueIndexes(context, Schema, rows, out var nonNull);
        var fields = new ColumnVector[Schema.Children.Count];
        for (var f = 0; f < fields.Length; f++)
        {
            var field = ReadVector(context, Schema.Children[f], nonNull);
            fields[f] = rootIndexes is null ? field : new NullableVector(field, rootIndexes);
        }

        return fields;
    }

    /// <summary>Index of each row's value among the non-null ones, -1 for a null; null when nothing is null.</summary>
    private static int[]? ValueIndexes(StripeContext context, OrcType type, int rows, out int nonNull)
    {
        nonNull = rows;
        if (context.Stream(type.Id, PresentStream) is not { } presentStream)
        {
            return null;
        }

        var present = new BooleanRleReader(presentStream);
        var indexes = context.Rent<int>(rows);
        var next = 0;
        for (var i = 0; i < rows; i++)
        {
            indexes[i] = present.Next() ? next++ : -1;
        }

        nonNull = next;
        return next == rows ? null : indexes;
    }

    private ColumnVector ReadVector(StripeContext context, OrcType type, int count)
    {
        var indexes = ValueIndexes(context, type, count, out var nonNull);
        var values = ReadValues(context, type, nonNull);
        return indexes is null ? values : new NullableVector(values, indexes);
    }

    /// <summary>Nested columns, which are materialised as objects anyway.</summary>
    private object?[] ReadColumn(StripeContext context, OrcType type, int count)
    {
        var vector = ReadVector(context, type, count);
        var values = new object?[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = vector.Get(i);
        }

        return values;
    }

    private ColumnVector ReadValues(StripeContext context, OrcType type, int count)
    {
        var (encoding, dictionarySize) = context.Encoding(type.Id);
        var v2 = encoding is OrcColumnEncodingKind.DirectV2 or OrcColumnEncodingKind.DictionaryV2;
        switch (type.Kind)
        {
            case OrcTypeKind.Boolean:
            {
                var values = context.Rent<bool>(count);
                if (count > 0)
                {
                    var data = new BooleanRleReader(context.Required(type.Id, DataStream));
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = data.Next();
                    }
                }

                return new ValueVector<bool>(values);
            }

            case OrcTypeKind.Byte:
            {
                var values = context.Rent<sbyte>(count);
                if (count > 0)
                {
                    var data = new ByteRleReader(context.Required(type.Id, DataStream));
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = (sbyte)data.Next();
                    }
                }

                return new ValueVector<sbyte>(values);
            }

            case OrcTypeKind.Short:
            case OrcTypeKind.Int:
            case OrcTypeKind.Long:
            case OrcTypeKind.Date:
            {
                var values = context.Rent<long>(count);
                if (count > 0)
                {
                    IntegerReader.Create(context.Required(type.Id, DataStream), signed: true, v2).Read(values.AsSpan(0, count));
                }

                return new IntegerVector(values, type.Kind);
            }

            case OrcTypeKind.Float:
            {
                var values = context.Rent<float>(count);
                if (count > 0)
                {
                    var bytes = context.Required(type.Id, DataStream).ReadBytes(checked(count * sizeof(float)));
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
                    }
                }

                return new ValueVector<float>(values);
            }

            case OrcTypeKind.Double:
            {
                var values = context.Rent<double>(count);
                if (count > 0)
                {
                    var bytes = context.Required(type.Id, DataStream).ReadBytes(checked(count * sizeof(double)));
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * sizeof(double))..]);
                    }
                }

                return new DoubleVector(values);
            }

            case OrcTypeKind.String:
            case OrcTypeKind.Varchar:
            case OrcTypeKind.Char:
                return count == 0 ? new StringVector(Array.Empty<string>(), []) : ReadStrings(context, type, encoding, dictionarySize, v2, count);

            case OrcTypeKind.Timestamp:
            case OrcTypeKind.TimestampInstant:
                return new TimestampVector(count == 0 ? [] : ReadTimestamps(context, type, v2, count));

            default:
                return new ObjectVector(count == 0 ? [] : ReadObjects(context, type, encoding, dictionarySize, v2, count));
        }
    }

    private object?[] ReadObjects(StripeContext context, OrcType type, OrcColumnEncodingKind encoding, int dictionarySize, bool v2, int count)
    {
        var values = new object?[count];
        switch (type.Kind)
        {
            case OrcTypeKind.Binary:
            {
                var lengths = IntegerReader.Create(context.Required(type.Id, LengthStream), signed: false, v2);
                var data = context.Required(type.Id, DataStream);
                if (encoding is OrcColumnEncodingKind.Dictionary or OrcColumnEncodingKind.DictionaryV2)
                {
                    var dictionaryData = context.Stream(type.Id, DictionaryDataStream) ?? new StreamCursor([]);
                    var dictionary = new byte[dictionarySize][];
                    for (var i = 0; i < dictionarySize; i++)
                    {
                        dictionary[i] = dictionaryData.ReadBytes(checked((int)lengths.Next())).ToArray();
                    }

                    var indexes = IntegerReader.Create(data, signed: false, v2);
                    for (var i = 0; i < count; i++)
                    {
                        values[i] = dictionary[indexes.Next()].ToArray();
                    }

                    break;
                }

                for (var i = 0; i < count; i++)
                {
                    values[i] = data.ReadBytes(checked((int)lengths.Next())).ToArray();
                }

                break;
            }

            case OrcTypeKind.Decimal:
            {
                var data = context.Required(type.Id, DataStream);
                var scales = IntegerReader.Create(context.Required(type.Id, SecondaryStream), signed: true, v2);
                for (var i = 0; i < count; i++)
                {
                    values[i] = ToDecimal(data.ReadSignedVarint128(), (int)scales.Next());
                }

                break;
            }

            case OrcTypeKind.Struct:
            {
                var children = type.Children.Select(child => ReadVector(context, child, count)).ToArray();
                for (var i = 0; i < count; i++)
                {
                    var fields = new Dictionary<string, object?>(children.Length, StringComparer.Ordinal);
                    for (var f = 0; f < children.Length; f++)
                    {
                        fields[type.FieldNames[f]] = children[f].Get(i);
                    }

                    values[i] = fields;
                }

                break;
            }

            case OrcTypeKind.List:
            case OrcTypeKind.Map:
            {
                var lengthReader = IntegerReader.Create(context.Required(type.Id, LengthStream), signed: false, v2);
                var lengths = new int[count];
                var total = 0;
                for (var i = 0; i < count; i++)
                {
                    lengths[i] = checked((int)lengthReader.Next());
                    total += lengths[i];
                }

                var first = ReadColumn(context, type.Children[0], total);
                var second = type.Kind == OrcTypeKind.Map ? ReadColumn(context, type.Children[1], total) : null;
                var offset = 0;
                for (var i = 0; i < count; i++)
                {
                    if (second is null)
                    {
                        values[i] = first.AsSpan(offset, lengths[i]).ToArray().ToList();
                    }
                    else
                    {
                        var entries = new List<KeyValuePair<object?, object?>>(lengths[i]);
                        for (var e = offset; e < offset + lengths[i]; e++)
                        {
                            entries.Add(new KeyValuePair<object?, object?>(first[e], second[e]));
                        }

                        values[i] = entries;
                    }

                    offset += lengths[i];
                }

                break;
            }

            case OrcTypeKind.Union:
            {
                var tagReader = new ByteRleReader(context.Required(type.Id, DataStream));
                var tags = new int[count];
                var counts = new int[type.Children.Count];
                for (var i = 0; i < count; i++)
                {
                    tags[i] = tagReader.Next();
                    counts[tags[i]]++;
                }

                var alternatives = type.Children.Select((child, t) => ReadColumn(context, child, counts[t])).ToArray();
                var taken = new int[type.Children.Count];
                for (var i = 0; i < count; i++)
                {
                    values[i] = new OrcUnion(tags[i], alternatives[tags[i]][taken[tags[i]]++]);
                }

                break;
            }

            default:
                throw new NotSupportedException($"ORC type {type.Kind} is not supported.");
        }

        return values;
    }

    private static StringVector ReadStrings(StripeContext context, OrcType type, OrcColumnEncodingKind encoding, int dictionarySize, bool v2, int count)
    {
        var lengths = IntegerReader.Create(context.Required(type.Id, LengthStream), signed: false, v2);
        var data = context.Required(type.Id, DataStream);
        if (encoding is OrcColumnEncodingKind.Dictionary or OrcColumnEncodingKind.DictionaryV2)
        {
            var dictionaryData = context.Stream(type.Id, DictionaryDataStream) ?? new StreamCursor([]);
            var dictionary = new string[dictionarySize];
            for (var i = 0; i < dictionarySize; i++)
            {
                dictionary[i] = StringVector.Decode(dictionaryData.ReadBytes(checked((int)lengths.Next())));
            }

            var indexReader = IntegerReader.Create(data, signed: false, v2);
            var positions = context.Rent<int>(count);
            Span<long> indexes = stackalloc long[DecodeChunk];
            for (var done = 0; done < count; done += indexes.Length)
            {
                indexes = indexes[..Math.Min(indexes.Length, count - done)];
                indexReader.Read(indexes);
                for (var i = 0; i < indexes.Length; i++)
                {
                    positions[done + i] = (ulong)indexes[i] < (ulong)dictionarySize
                        ? (int)indexes[i]
                        : throw new InvalidDataException($"Dictionary index {indexes[i]} of column {type.Id} is outside its {dictionarySize} entries.");
                }
            }

            return new StringVector(dictionary, positions);
        }

        var offsets = context.Rent<int>(count + 1);
        long end = data.Position;
        Span<long> valueLengths = stackalloc long[DecodeChunk];
        for (var done = 0; done < count; done += valueLengths.Length)
        {
            valueLengths = valueLengths[..Math.Min(valueLengths.Length, count - done)];
            lengths.Read(valueLengths);
            for (var i = 0; i < valueLengths.Length; i++)
            {
                offsets[done + i] = (int)end;
                end += (ulong)valueLengths[i] <= int.MaxValue ? valueLengths[i] : throw new InvalidDataException($"Negative or huge string length in column {type.Id}.");
                if (end > data.End)
                {
                    throw new InvalidDataException("Read past the end of an ORC stream.");
                }
            }
        }

        offsets[count] = (int)end;
        data.Position = (int)end;
        return new StringVector(data.Data, offsets);
    }

    private static OrcTimestamp[] ReadTimestamps(StripeContext context, OrcType type, bool v2, int count)
    {
        var secondsReader = IntegerReader.Create(context.Required(type.Id, DataStream), signed: true, v2);
        var nanosReader = IntegerReader.Create(context.Required(type.Id, SecondaryStream), signed: false, v2);
        Span<long> seconds = stackalloc long[DecodeChunk];
        Span<long> nanos = stackalloc long[DecodeChunk];
        var zone = type.Kind == OrcTypeKind.Timestamp ? context.WriterZone : null;
        var epoch = OrcEpochSeconds;
        if (zone is not null)
        {
            var localEpoch = new DateTime(2015, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
            epoch -= (long)zone.GetUtcOffset(localEpoch).TotalSeconds;
        }

        var values = context.Rent<OrcTimestamp>(count);
        for (var i = 0; i < count; i++)
        {
            var inChunk = i % DecodeChunk;
            if (inChunk == 0)
            {
                var size = Math.Min(DecodeChunk, count - i);
                secondsReader.Read(seconds[..size]);
                nanosReader.Read(nanos[..size]);
            }

            var second = seconds[inChunk] + epoch;
            var nano = DecodeNanos(nanos[inChunk]);
            if (zone is not null)
            {
                // Stored relative to the writer's local epoch; shown as the writer's wall clock.
                var instant = DateTime.UnixEpoch.AddSeconds(Math.Clamp(second, -62_135_596_800 + 86_400, 253_402_300_799 - 86_400));
                second += (long)zone.GetUtcOffset(instant).TotalSeconds;
            }

            if (second < 0 && nano > 999_999)
            {
                second--;
            }

            values[i] = new OrcTimestamp(second, nano);
        }

        return values;
    }

    private static int DecodeNanos(long encoded)
    {
        var zeros = (int)(encoded & 7);
        var value = encoded >>> 3;
        if (zeros != 0)
        {
            for (var i = 0; i <= zeros; i++)
            {
                value *= 10;
            }
        }

        return (int)value;
    }

    private static decimal ToDecimal(Int128 unscaled, int scale)
    {
        var negative = unscaled < 0;
        var magnitude = (UInt128)(negative ? -unscaled : unscaled);
        while (scale > 28 || magnitude >> 96 != 0)
        {
            if (scale <= 0)
            {
                throw new OverflowException("ORC decimal value does not fit System.Decimal.");
            }

            magnitude /= 10;
            scale--;
        }

        if (scale < 0)
        {
            return (negative ? -1m : 1m) * new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), false, 0) * (decimal)Math.Pow(10, -scale);
        }

        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), (int)(uint)(magnitude >> 64), negative, (byte)scale);
    }

    private sealed class StripeFooter
    {
        public List<(int Kind, int Column, long Length)> Streams { get; } = [];

        public List<(OrcColumnEncodingKind Kind, int DictionarySize)> Encodings { get; } = [];

        public string? Timezone { get; set; }
    }

    private sealed class StripeContext : IDisposable
    {
        private readonly OrcReader _reader;
        private readonly byte[] _stripe;
        private readonly StripeFooter _footer;
        private readonly Dictionary<(int Column, int Kind), (int Offset, int Length)> _streams = [];
        private readonly List<ByteBuffer> _decompressed = [];
        private readonly List<Action> _returns = [];
        private readonly bool _pooled = true;

        /// <param name="data">The streams' bytes, not pooled, at <paramref name="locations"/>.</param>
        public StripeContext(OrcReader reader, byte[] data, StripeFooter footer, int rowCount, Dictionary<(int Column, int Kind), (int Offset, int Length)> locations)
        {
            _reader = reader;
            _stripe = data;
            _footer = footer;
            _pooled = false;
            RowCount = rowCount;
            _streams = locations;
            WriterZone = footer.Timezone is null or "" or "UTC" or "GMT" or "Etc/UTC" ? null : TimeZoneInfo.FindSystemTimeZoneById(footer.Timezone);
        }

        /// <param name="stripe">Rented from the shared pool; returned on <see cref="Dispose"/>.</param>
        public StripeContext(OrcReader reader, byte[] stripe, StripeFooter footer, int rowCount)
        {
            _reader = reader;
            _stripe = stripe;
            _footer = footer;
            RowCount = rowCount;
            var offset = 0;
            foreach (var (kind, column, length) in footer.Streams)
            {
                _streams[(column, kind)] = (offset, (int)length);
                offset += (int)length;
            }

            WriterZone = footer.Timezone is null or "" or "UTC" or "GMT" or "Etc/UTC" ? null : TimeZoneInfo.FindSystemTimeZoneById(footer.Timezone);
        }

        public int RowCount { get; }

        /// <summary>Null for UTC or an unnamed zone, which reads the stored wall clock as UTC.</summary>
        public TimeZoneInfo? WriterZone { get; }

        public (OrcColumnEncodingKind Kind, int DictionarySize) Encoding(int column) =>
            column < _footer.Encodings.Count ? _footer.Encodings[column] : (OrcColumnEncodingKind.Direct, 0);

        public StreamCursor? Stream(int column, int kind)
        {
            if (!_streams.TryGetValue((column, kind), out var location))
            {
                return null;
            }

            if (_reader.Compression == OrcCompressionKind.None)
            {
                return new StreamCursor(_stripe, location.Offset, location.Offset + location.Length);
            }

            var output = new ByteBuffer(Math.Max(location.Length * 4, 1024));
            _decompressed.Add(output);
            _reader.DecompressInto(output, _stripe, location.Offset, location.Length);
            var decompressed = output.Segment;
            return new StreamCursor(decompressed.Array!, 0, decompressed.Count);
        }

        public StreamCursor Required(int column, int kind) =>
            Stream(column, kind) ?? throw new InvalidDataException($"Stream kind {kind} of column {column} is missing.");

        /// <summary>
        /// An array of at least <paramref name="count"/> elements that lives as long as the stripe: stripes of a
        /// file, and files read one after another, reuse the same arrays instead of piling up on the large object heap.
        /// </summary>
        public T[] Rent<T>(int count)
        {
            if (count == 0)
            {
                return [];
            }

            var array = ArrayPool<T>.Shared.Rent(count);
            _returns.Add(() => ArrayPool<T>.Shared.Return(array, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>()));
            return array;
        }

        public void Dispose()
        {
            foreach (var output in _decompressed)
            {
                output.Dispose();
            }

            foreach (var giveBack in _returns)
            {
                giveBack();
            }

            _decompressed.Clear();
            _returns.Clear();
            if (_pooled)
            {
                ArrayPool<byte>.Shared.Return(_stripe);
            }
        }
    }
}
