namespace DeviceStatus.Formats.Preview;

/// <summary>Where a preview reads a file from: a ranged HTTP download in the portal, a byte array in tests.</summary>
public interface IRangeSource
{
    /// <summary>
    /// Bytes of the file: <paramref name="length"/> bytes from <paramref name="offset"/>, or, when it is null, the last
    /// <paramref name="length"/> bytes. Fewer come back at the end of the file.
    /// </summary>
    Task<RangeAnswer> ReadAsync(long? offset, int length, CancellationToken cancellationToken);
}

/// <param name="Offset">Where <paramref name="Bytes"/> start in the file.</param>
/// <param name="FileLength">The whole file's length (a ranged answer's <c>Content-Range</c> total).</param>
public sealed record RangeAnswer(long Offset, byte[] Bytes, long FileLength);

/// <summary>A byte array as a <see cref="IRangeSource"/> that counts what it hands out.</summary>
public sealed class MemoryRangeSource(byte[] file) : IRangeSource
{
    public long BytesRead { get; private set; }

    public int Reads { get; private set; }

    public Task<RangeAnswer> ReadAsync(long? offset, int length, CancellationToken cancellationToken)
    {
        var start = offset ?? Math.Max(0, file.Length - length);
        start = Math.Min(start, file.Length);
        var count = (int)Math.Min(length, file.Length - start);
        BytesRead += count;
        Reads++;
        return Task.FromResult(new RangeAnswer(start, file.AsSpan((int)start, count).ToArray(), file.Length));
    }
}
