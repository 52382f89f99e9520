namespace DeviceStatus.Formats.Preview;

/// <summary>
/// A read-only, seekable view of a remote file that holds only the ranges fetched so far and never fetches more
/// than its cap. Async reads fetch what is missing; sync reads (the ORC and Avro readers) throw
/// <see cref="MissingRangeException"/>, and <see cref="FilePreviewReader"/> fetches the range and reads again.
/// </summary>
public sealed class RangeCacheStream : Stream
{
    /// <summary>The smallest ranged call: fewer, larger calls cost less than many small ones.</summary>
    public const int MinFetch = 64 * 1024;

    private readonly IRangeSource _source;
    private readonly List<(long Offset, byte[] Bytes)> _segments = [];
    private long _position;

    private RangeCacheStream(IRangeSource source, long length, long maxBytes)
    {
        _source = source;
        Length = length;
        MaxBytes = maxBytes;
    }

    public long MaxBytes { get; }

    /// <summary>Bytes fetched from the source so far.</summary>
    public long BytesRead { get; private set; }

    public override long Length { get; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>
    /// Opens the file with one round trip: its first bytes, or its last (where PARQUET and ORC keep their footers), and
    /// with <paramref name="headBytes"/> also that many first bytes, fetched at the same time.
    /// </summary>
    public static async Task<RangeCacheStream> OpenAsync(IRangeSource source, bool fromEnd, long maxBytes, CancellationToken cancellationToken, int headBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(source);
        var first = (int)Math.Min(MinFetch, maxBytes);
        var head = fromEnd && headBytes > 0 && first + headBytes <= maxBytes
            ? source.ReadAsync(0, headBytes, cancellationToken)
            : null;
        var answer = await source.ReadAsync(fromEnd ? null : 0, first, cancellationToken).ConfigureAwait(false);
        var cache = new RangeCacheStream(source, answer.FileLength, maxBytes);
        cache.Add(answer);
        if (head is not null && await head.ConfigureAwait(false) is { Bytes.Length: > 0 } start && cache.FirstMissing(0, start.Bytes.Length) is not null)
        {
            cache.Add(start);
        }

        return cache;
    }

    /// <summary>
    /// Makes every range available at once: the missing parts, those less than <see cref="MinFetch"/> apart joined
    /// into one, are fetched side by side, so the whole costs one round trip. Throws when the cap forbids it.
    /// </summary>
    public async Task EnsureAllAsync(IEnumerable<(long Offset, long Length)> ranges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        var missing = new List<(long Start, long End)>();
        foreach (var (offset, length) in ranges.OrderBy(r => r.Offset))
        {
            var end = Math.Min(Length, offset + length);
            var at = offset;
            while (at < end && FirstMissing(at, end) is { } start)
            {
                var stop = _segments.Where(s => s.Offset > start && s.Offset < end).Select(s => s.Offset).DefaultIfEmpty(end).Min();
                if (missing.Count > 0 && start - missing[^1].End < MinFetch && !Holds(missing[^1].End, start))
                {
                    missing[^1] = (missing[^1].Start, Math.Max(missing[^1].End, stop));
                }
                else
                {
                    missing.Add((start, stop));
                }

                at = stop;
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        if (missing.Sum(m => m.End - m.Start) > MaxBytes - BytesRead)
        {
            throw TooFar();
        }

        var answers = await Task.WhenAll(missing.Select(m => _source.ReadAsync(m.Start, checked((int)(m.End - m.Start)), cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < answers.Length; i++)
        {
            if (answers[i].Bytes.Length == 0 || answers[i].Offset != missing[i].Start)
            {
                throw new PreviewProblemException("The file host answered a ranged read with other bytes than asked for.");
            }

            Add(answers[i]);
        }
    }

    /// <summary>Makes <c>[offset, offset + count)</c> (clipped to the file) available, or throws when the cap forbids it.</summary>
    public async Task EnsureAsync(long offset, int count, CancellationToken cancellationToken)
    {
        var end = Math.Min(Length, offset + count);
        while (FirstMissing(offset, end) is { } start)
        {
            var stop = end;
            foreach (var (segmentOffset, _) in _segments)
            {
                if (segmentOffset > start && segmentOffset < stop)
                {
                    stop = segmentOffset;
                }
            }

            // A read that continues the previous one (a text file, read on) doubles the fetch; others take the minimum.
            var follows = _segments.FirstOrDefault(s => s.Offset + s.Bytes.Length == start).Bytes?.Length ?? 0;
            var wanted = Math.Max(stop - start, Math.Max(MinFetch, follows));
            var allowed = MaxBytes - BytesRead;
            if (allowed < stop - start)
            {
                throw TooFar();
            }

            var fetch = (int)Math.Min(Math.Min(wanted, allowed), Length - start);
            var nextSegment = _segments.Where(s => s.Offset > start).Select(s => s.Offset).DefaultIfEmpty(Length).Min();
            fetch = (int)Math.Min(fetch, nextSegment - start);
            var answer = await _source.ReadAsync(start, fetch, cancellationToken).ConfigureAwait(false);
            if (answer.Bytes.Length == 0 || answer.Offset != start)
            {
                throw new PreviewProblemException("The file host answered a ranged read with other bytes than asked for.");
            }

            Add(answer);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, Math.Max(0, Length - _position));
        if (count == 0)
        {
            return 0;
        }

        var copied = 0;
        while (copied < count)
        {
            var at = _position + copied;
            var segment = _segments.FirstOrDefault(s => s.Offset <= at && at < s.Offset + s.Bytes.Length);
            if (segment.Bytes is null)
            {
                throw new MissingRangeException(at, count - copied);
            }

            var take = (int)Math.Min(count - copied, segment.Offset + segment.Bytes.Length - at);
            segment.Bytes.AsSpan((int)(at - segment.Offset), take).CopyTo(buffer[copied..]);
            copied += take;
        }

        _position += copied;
        return copied;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await EnsureAsync(_position, buffer.Length, cancellationToken).ConfigureAwait(false);
        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>The contiguous bytes fetched from the start of the file.</summary>
    internal ReadOnlySpan<byte> Prefix()
    {
        var end = FirstMissing(0, Length) ?? Length;
        var prefix = new byte[end];
        var saved = _position;
        _position = 0;
        ReadExactly(prefix);
        _position = saved;
        return prefix;
    }

    private PreviewProblemException TooFar() => new(
        $"The first rows of this file lie beyond the preview's limit of {FormatBytes(MaxBytes)}; download the file to look inside.")
    {
        CapTooSmall = true,
    };

    internal static string FormatBytes(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024):0.#} MiB"
        : $"{bytes / 1024.0:0.#} KiB";

    /// <summary>Whether any byte of <c>[offset, end)</c> has been fetched.</summary>
    private bool Holds(long offset, long end) => _segments.Any(s => s.Offset < end && s.Offset + s.Bytes.Length > offset);

    private long? FirstMissing(long offset, long end)
    {
        var at = offset;
        while (at < end)
        {
            var segment = _segments.FirstOrDefault(s => s.Offset <= at && at < s.Offset + s.Bytes.Length);
            if (segment.Bytes is null)
            {
                return at;
            }

            at = segment.Offset + segment.Bytes.Length;
        }

        return null;
    }

    private void Add(RangeAnswer answer)
    {
        BytesRead += answer.Bytes.Length;
        if (answer.Bytes.Length > 0)
        {
            _segments.Add((answer.Offset, answer.Bytes));
        }
    }
}
