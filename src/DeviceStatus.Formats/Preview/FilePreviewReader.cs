using System.Globalization;
using System.Text;
using System.Text.Json;
using Avro.File;
using Avro.Generic;
using CsvHelper;
using DeviceStatus.Formats.Orc;
using Parquet;
using Parquet.Schema;

namespace DeviceStatus.Formats.Preview;

/// <summary>
/// Reads the first rows of a result file of any format through ranged reads, never fetching more than a cap:
/// PARQUET and ORC from their footers and the first row group or the first chunk of each stream of the first stripe;
/// the text formats and AVRO from their first bytes, fetched in growing steps until the rows are complete.
/// </summary>
// About 400 lines in one class: six short readers, one per format, behind one ReadAsync switch and one retry over missing ranges.
public static class FilePreviewReader
{
    public const int MaxRows = 100;

    private const int ParquetMagicLength = 4;

    /// <summary>What is fetched of each ORC stream before its first chunk's header says how long that chunk is.</summary>
    private const int OrcFirstChunkGuess = 128 * 1024;

    public static async Task<FilePreview> ReadAsync(FileFormat format, IRangeSource source, long maxBytes, CancellationToken cancellationToken)
    {
        // PARQUET starts with a magic its reader checks: fetched beside the footer, not after it.
        var cache = await RangeCacheStream.OpenAsync(source, fromEnd: format is FileFormat.Parquet or FileFormat.Orc, maxBytes, cancellationToken,
            headBytes: format == FileFormat.Parquet ? ParquetMagicLength : 0).ConfigureAwait(false);
        try
        {
            var (rows, statistics, total) = format switch
            {
                FileFormat.Csv => (await ReadTextAsync(cache, ParseCsv, cancellationToken).ConfigureAwait(false), null, null),
                FileFormat.TextFile => (await ReadTextAsync(cache, ParseTextFile, cancellationToken).ConfigureAwait(false), null, null),
                FileFormat.Json => (await ReadTextAsync(cache, ParseJson, cancellationToken).ConfigureAwait(false), null, null),
                FileFormat.Avro => (await RetryAsync(cache, () => ReadAvro(cache), cancellationToken).ConfigureAwait(false), null, null),
                FileFormat.Parquet => await RetryAsync(cache, () => ReadParquetAsync(cache, cancellationToken), cancellationToken).ConfigureAwait(false),
                FileFormat.Orc => await ReadOrcAsync(cache, cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
            };
            return new FilePreview(rows, FilePreview.FactsOf(rows, statistics), cache.Length, cache.BytesRead, total);
        }
        catch (Exception ex) when (Inner<PreviewProblemException>(ex) is { } problem && problem != ex)
        {
            throw problem;
        }
        catch (Exception ex) when (ex is not (PreviewProblemException or OperationCanceledException or OutOfMemoryException))
        {
            // The reader's own words stay with the inner exception, for the log: they can quote the file's bytes.
            throw new PreviewProblemException($"This file cannot be read as {format.ApiName()}; it may be damaged or truncated.", ex);
        }
    }

    /// <summary>Runs a sync reader over the cache, fetching whatever it missed, until it gets through.</summary>
    private static Task<T> RetryAsync<T>(RangeCacheStream cache, Func<T> read, CancellationToken cancellationToken) =>
        RetryAsync(cache, () => Task.FromResult(read()), cancellationToken);

    /// <summary>Parquet.Net reads its footer asynchronously but some of its pages synchronously.</summary>
    private static async Task<T> RetryAsync<T>(RangeCacheStream cache, Func<Task<T>> read, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                cache.Position = 0;
                return await read().ConfigureAwait(false);
            }
            catch (Exception ex) when (Missing(ex) is { } missing)
            {
                await cache.EnsureAsync(missing.Offset, missing.Count, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static MissingRangeException? Missing(Exception? exception) => Inner<MissingRangeException>(exception);

    private static T? Inner<T>(Exception? exception)
        where T : Exception
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// Parses the first bytes; a parser returns null when it needs more. Text comes in whole lines only, so a parser
    /// never sees half a row unless the file itself ends in one.
    /// </summary>
    private static async Task<List<DeviceStatusRow>> ReadTextAsync(RangeCacheStream cache, Func<ReadOnlyMemory<byte>, bool, List<DeviceStatusRow>?> parse, CancellationToken cancellationToken)
    {
        while (true)
        {
            var prefix = cache.Prefix().ToArray();
            var whole = prefix.Length == cache.Length;
            var rows = parse(prefix, whole);
            if (rows is not null)
            {
                return rows;
            }

            if (whole)
            {
                throw new InvalidDataException("the file ends before its rows do");
            }

            await cache.EnsureAsync(prefix.Length, RangeCacheStream.MinFetch, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ReadOnlyMemory<byte> WholeLines(ReadOnlyMemory<byte> prefix, bool whole)
    {
        if (whole)
        {
            if (prefix.Length > 0 && prefix.Span[^1] != (byte)'\n')
            {
                throw new InvalidDataException("the last line has no line end: the file is truncated");
            }

            return prefix;
        }

        return prefix[..(prefix.Span.LastIndexOf((byte)'\n') + 1)];
    }

    private static List<DeviceStatusRow>? ParseCsv(ReadOnlyMemory<byte> prefix, bool whole)
    {
        var lines = WholeLines(prefix, whole);
        if (lines.Length == 0)
        {
            return whole ? throw new InvalidDataException("the file has no header line") : null;
        }

        var rows = new List<DeviceStatusRow>();
        using var csv = CsvReader.FromText(Encoding.UTF8.GetString(lines.Span), new CsvReaderOptions { Separator = ',' });
        while (rows.Count < MaxRows && csv.Read())
        {
            if (!csv.Headers.SequenceEqual(ColumnNames.All))
            {
                throw new InvalidDataException($"the header is {string.Join(',', csv.Headers)}, not the contract's columns");
            }

            rows.Add(Row(csv.GetString(0), csv.GetString(1), csv.GetString(2), csv.GetString(3), csv.GetString(4), csv.GetString(5), csv.GetString(6), ""));
        }

        return rows.Count == MaxRows || whole ? rows : null;
    }

    private static List<DeviceStatusRow>? ParseTextFile(ReadOnlyMemory<byte> prefix, bool whole)
    {
        var text = Encoding.UTF8.GetString(WholeLines(prefix, whole).Span);
        var rows = new List<DeviceStatusRow>();
        foreach (var line in text.Split('\n'))
        {
            if (rows.Count == MaxRows || line.Length == 0)
            {
                break;
            }

            var fields = line.Split('\t');
            if (fields.Length != ColumnNames.All.Count)
            {
                throw new InvalidDataException($"line {rows.Count + 1} has {fields.Length} fields, not {ColumnNames.All.Count}");
            }

            rows.Add(Row(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6], @"\N"));
        }

        return rows.Count == MaxRows || whole ? rows : null;
    }

    private static List<DeviceStatusRow>? ParseJson(ReadOnlyMemory<byte> prefix, bool whole)
    {
        var reader = new Utf8JsonReader(prefix.Span, isFinalBlock: whole, state: default);
        if (!reader.Read())
        {
            return whole ? throw new InvalidDataException("the file is empty") : null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("the file is not a JSON array");
        }

        var rows = new List<DeviceStatusRow>();
        while (rows.Count < MaxRows)
        {
            if (!reader.Read())
            {
                return whole ? throw new InvalidDataException("the array is not closed") : null;
            }

            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return rows;
            }

            if (!JsonDocument.TryParseValue(ref reader, out var document))
            {
                return whole ? throw new InvalidDataException($"object {rows.Count + 1} is cut off") : null;
            }

            using (document)
            {
                var o = document.RootElement;
                string? Text(string name) => o.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
                    ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
                    : null;
                rows.Add(Row(Text(ColumnNames.DeviceId), Text(ColumnNames.Timestamp), Text(ColumnNames.Status), Text(ColumnNames.BatteryPct),
                    Text(ColumnNames.TemperatureC), Text(ColumnNames.SignalDbm), Text(ColumnNames.Firmware), null));
            }
        }

        return rows;
    }

    private static DeviceStatusRow Row(string? deviceId, string? timestamp, string? status, string? battery, string? temperature, string? signal, string? firmware, string? nullText)
    {
        string Required(string? value, string name) =>
            string.IsNullOrEmpty(value) || value == nullText ? throw new InvalidDataException($"{name} is missing in a row") : value;
        bool IsNull(string? value) => value is null || value == nullText;
        return new DeviceStatusRow(
            Required(deviceId, ColumnNames.DeviceId),
            DateTime.Parse(Required(timestamp, ColumnNames.Timestamp), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal),
            Required(status, ColumnNames.Status),
            IsNull(battery) ? null : double.Parse(battery!, NumberStyles.Float, CultureInfo.InvariantCulture),
            IsNull(temperature) ? null : double.Parse(temperature!, NumberStyles.Float, CultureInfo.InvariantCulture),
            IsNull(signal) ? null : int.Parse(signal!, NumberStyles.Integer, CultureInfo.InvariantCulture),
            Required(firmware, ColumnNames.Firmware));
    }

    private static List<DeviceStatusRow> ReadAvro(RangeCacheStream cache)
    {
        using var reader = DataFileReader<GenericRecord>.OpenReader(cache, leaveOpen: true);
        var rows = new List<DeviceStatusRow>();
        while (rows.Count < MaxRows && reader.HasNext())
        {
            var record = reader.Next();
            rows.Add(new DeviceStatusRow(
                (string)record[ColumnNames.DeviceId],
                ((DateTime)record[ColumnNames.Timestamp]).ToUniversalTime(),
                (string)record[ColumnNames.Status],
                (double?)record[ColumnNames.BatteryPct],
                (double?)record[ColumnNames.TemperatureC],
                (int?)record[ColumnNames.SignalDbm],
                (string)record[ColumnNames.Firmware]));
        }

        return rows;
    }

    private static async Task<(List<DeviceStatusRow>, Dictionary<string, FileColumnStatistics>, long?)> ReadOrcAsync(RangeCacheStream cache, CancellationToken cancellationToken)
    {
        await FetchOrcFirstRowsAsync(cache, cancellationToken).ConfigureAwait(false);
        return await RetryAsync(cache, () => ReadOrc(cache), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Fetches what <see cref="OrcReader.ReadFirstRows"/> reads, in few round trips whatever the number of streams: the
    /// file footer came with the tail; then the first stripe's footer alone (nothing when the tail holds it); then the
    /// start of every stream of that stripe side by side (the first compression chunk of a stream usually lies in its
    /// first 128 KiB); then, side by side, whatever of those first chunks is still missing (usually nothing).
    /// </summary>
    public static async Task FetchOrcFirstRowsAsync(RangeCacheStream cache, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cache);
        var stripe = await RetryAsync(cache, () => FirstStripe(cache), cancellationToken).ConfigureAwait(false);
        if (stripe is not null)
        {
            await cache.EnsureAllAsync([(stripe.Offset + stripe.IndexLength + stripe.DataLength, stripe.FooterLength)], cancellationToken).ConfigureAwait(false);
        }

        var streams = await RetryAsync(cache, () => FirstStripeRanges(cache, firstChunksKnown: false), cancellationToken).ConfigureAwait(false);
        await cache.EnsureAllAsync(streams.Select(s => (s.Offset, Math.Min(s.Length, OrcFirstChunkGuess))), cancellationToken).ConfigureAwait(false);
        var chunks = await RetryAsync(cache, () => FirstStripeRanges(cache, firstChunksKnown: true), cancellationToken).ConfigureAwait(false);
        await cache.EnsureAllAsync(chunks, cancellationToken).ConfigureAwait(false);
    }

    private static OrcStripeInfo? FirstStripe(RangeCacheStream cache)
    {
        using var reader = new OrcReader(cache, leaveOpen: true, readStripeFooters: false);
        return reader.Stripes.Count > 0 ? reader.Stripes[0] : null;
    }

    private static IReadOnlyList<(long Offset, long Length)> FirstStripeRanges(RangeCacheStream cache, bool firstChunksKnown)
    {
        using var reader = new OrcReader(cache, leaveOpen: true, readStripeFooters: false);
        return reader.FirstStripeRanges(firstChunksKnown);
    }

    private static (List<DeviceStatusRow>, Dictionary<string, FileColumnStatistics>, long?) ReadOrc(RangeCacheStream cache)
    {
        using var reader = new OrcReader(cache, leaveOpen: true, readStripeFooters: false);
        if (reader.Schema.Kind != OrcTypeKind.Struct)
        {
            throw new InvalidDataException($"expected a struct of result columns, found {reader.Schema}");
        }

        var index = ColumnNames.All.Select(name => reader.Schema.FieldNames.ToList().IndexOf(name)).ToArray();
        if (index.Any(i => i < 0))
        {
            throw new InvalidDataException($"the schema {reader.Schema} lacks some of the contract's columns");
        }

        var rows = reader.ReadFirstRows(MaxRows).Select(r => new DeviceStatusRow(
            (string)r[index[0]]!,
            ((OrcTimestamp)r[index[1]]!).ToDateTime(),
            (string)r[index[2]]!,
            (double?)r[index[3]],
            (double?)r[index[4]],
            r[index[5]] is { } signal ? Convert.ToInt32(signal, CultureInfo.InvariantCulture) : null,
            (string)r[index[6]]!)).ToList();

        var statistics = new Dictionary<string, FileColumnStatistics>();
        for (var i = 0; i < index.Length; i++)
        {
            var id = reader.Schema.Children[index[i]].Id;
            if (id >= reader.ColumnStatistics.Count)
            {
                continue;
            }

            var s = reader.ColumnStatistics[id];
            object? min = s.StringMinimum ?? (object?)s.DoubleMinimum ?? (object?)s.IntegerMinimum ?? s.TimestampMinimum?.ToDateTime();
            object? max = s.StringMaximum ?? (object?)s.DoubleMaximum ?? (object?)s.IntegerMaximum ?? s.TimestampMaximum?.ToDateTime();
            statistics[ColumnNames.All[i]] = new FileColumnStatistics(
                (long)s.NumberOfValues, reader.RowCount - (long)s.NumberOfValues, min is null ? null : PreviewColumn.Format(min), max is null ? null : PreviewColumn.Format(max));
        }

        return (rows, statistics, reader.RowCount);
    }

    private static async Task<(List<DeviceStatusRow>, Dictionary<string, FileColumnStatistics>, long?)> ReadParquetAsync(RangeCacheStream cache, CancellationToken cancellationToken)
    {
        await using var reader = await ParquetReader.CreateAsync(cache, leaveStreamOpen: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        var fields = ColumnNames.All.Select(name => reader.Schema.DataFields.FirstOrDefault(f => f.Name == name)
            ?? throw new InvalidDataException($"the file has no column {name}")).ToArray();
        var rows = new List<DeviceStatusRow>();
        long total = 0;
        var statistics = new Dictionary<string, (long Nulls, object? Min, object? Max)>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            total += group.RowCount;
            foreach (var field in fields)
            {
                var s = group.GetStatistics(field);
                statistics.TryGetValue(field.Name, out var so_far);
                statistics[field.Name] = (
                    so_far.Nulls + (s?.NullCount ?? 0),
                    Pick(so_far.Min, StatisticValue(s?.MinValue), -1),
                    Pick(so_far.Max, StatisticValue(s?.MaxValue), 1));
            }

            if (g == 0 && group.RowCount > 0)
            {
                // The first row group's column chunks lie side by side: one ranged read for all of them, rather than
                // one per page that Parquet.Net asks for.
                var chunks = fields.Select(f => group.GetMetadata(f)?.MetaData).OfType<Parquet.Meta.ColumnMetaData>().ToList();
                if (chunks.Count > 0)
                {
                    static long Start(Parquet.Meta.ColumnMetaData m) =>
                        m.DictionaryPageOffset is { } dictionary && dictionary > 0 && dictionary < m.DataPageOffset ? dictionary : m.DataPageOffset;
                    var start = chunks.Min(Start);
                    var end = chunks.Max(m => Start(m) + m.TotalCompressedSize);
                    await cache.EnsureAsync(start, (int)Math.Min(int.MaxValue, end - start), cancellationToken).ConfigureAwait(false);
                }

                rows = await ReadRowGroupAsync(group, fields, cancellationToken).ConfigureAwait(false);
            }
        }

        if (fields[1] is DateTimeDataField timestamp && statistics.TryGetValue(timestamp.Name, out var range))
        {
            statistics[timestamp.Name] = range with { Min = TimestampStatistic(timestamp, range.Min, rows, range.Max), Max = TimestampStatistic(timestamp, range.Max, rows, range.Min) };
        }

        return (rows, statistics.ToDictionary(
            s => s.Key,
            s => new FileColumnStatistics(total - s.Value.Nulls, s.Value.Nulls, s.Value.Min is null ? null : PreviewColumn.Format(s.Value.Min), s.Value.Max is null ? null : PreviewColumn.Format(s.Value.Max))), total);
    }

    private static object? StatisticValue(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        DateTime time => DateTime.SpecifyKind(time, DateTimeKind.Utc),
        _ => value,
    };

    /// <summary>
    /// A timestamp column's footer minimum or maximum as a date, not the stored INT64. The format says the statistic is
    /// in the column's unit, but Parquet.Net writes it in milliseconds whatever the unit: of the two readings, the one
    /// whose range holds the rows read is taken.
    /// </summary>
    private static object? TimestampStatistic(DateTimeDataField field, object? value, List<DeviceStatusRow> rows, object? other)
    {
        if (value is not long stored)
        {
            return value;
        }

        bool Holds(DateTimeTimeUnit unit) =>
            other is not long bound
            || (AsDate(Math.Min(stored, bound), unit) is { } low && AsDate(Math.Max(stored, bound), unit) is { } high
                && rows.All(r => r.Timestamp >= low && r.Timestamp <= high));

        var unit = Holds(field.Unit) || !Holds(DateTimeTimeUnit.Millis) ? field.Unit : DateTimeTimeUnit.Millis;
        return AsDate(stored, unit) ?? value;
    }

    private static DateTime? AsDate(long stored, DateTimeTimeUnit unit)
    {
        var ticks = unit switch
        {
            DateTimeTimeUnit.Micros => (Int128)stored * 10,
            DateTimeTimeUnit.Nanos => (Int128)stored / 100,
            _ => (Int128)stored * TimeSpan.TicksPerMillisecond,
        } + DateTime.UnixEpoch.Ticks;
        return ticks >= DateTime.MinValue.Ticks && ticks <= DateTime.MaxValue.Ticks ? new DateTime((long)ticks, DateTimeKind.Utc) : null;
    }

    private static object? Pick(object? current, object? candidate, int sign)
    {
        if (current is null || candidate is null)
        {
            return current ?? candidate;
        }

        var order = current is string a && candidate is string b ? string.CompareOrdinal(b, a) : ((IComparable)candidate).CompareTo(current);
        return order * sign > 0 ? candidate : current;
    }

    private static async Task<List<DeviceStatusRow>> ReadRowGroupAsync(ParquetRowGroupReader group, DataField[] fields, CancellationToken cancellationToken)
    {
        var n = (int)group.RowCount;
        var ids = new string?[n];
        var timestamps = new DateTime[n];
        var statuses = new string?[n];
        var batteries = new double?[n];
        var temperatures = new double?[n];
        var signals = new int?[n];
        var firmware = new string?[n];
        await group.ReadAsync(fields[0], ids.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync<DateTime>(fields[1], timestamps.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync(fields[2], statuses.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync<double>(fields[3], batteries.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync<double>(fields[4], temperatures.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync<int>(fields[5], signals.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        await group.ReadAsync(fields[6], firmware.AsMemory(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var rows = new List<DeviceStatusRow>(Math.Min(n, MaxRows));
        for (var i = 0; i < Math.Min(n, MaxRows); i++)
        {
            rows.Add(new DeviceStatusRow(
                ids[i] ?? throw new InvalidDataException("device_id is null"), DateTime.SpecifyKind(timestamps[i], DateTimeKind.Utc),
                statuses[i] ?? throw new InvalidDataException("status is null"), batteries[i], temperatures[i], signals[i],
                firmware[i] ?? throw new InvalidDataException("firmware is null")));
        }

        return rows;
    }
}
