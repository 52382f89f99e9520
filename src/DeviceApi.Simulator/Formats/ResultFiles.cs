using System.Buffers;
using DeviceApi.Simulator.Data;

namespace DeviceApi.Simulator.Formats;

/// <summary>One written part of a result.</summary>
public sealed record ResultFile(int Index, string Name, string Path, long RowCount, long Length);

/// <summary>Writes a result as parts of at most a given number of rows, streaming rows in batches.</summary>
public static class ResultFiles
{
    /// <summary>The contract's largest part.</summary>
    public const int MaxPartSize = 1_000_000;

    private const int BatchSize = 8_192;

    /// <summary>
    /// Writes <paramref name="rows"/> into <c>part-00000.ext</c>, ... in <paramref name="directory"/>; an empty
    /// result still gets one file. <paramref name="afterBatch"/> sees the running row count (for pacing).
    /// </summary>
    public static async Task<IReadOnlyList<ResultFile>> WriteAsync(
        DeviceStatusRows rows,
        FileFormat format,
        string directory,
        int partSize = MaxPartSize,
        Func<long, CancellationToken, ValueTask>? afterBatch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partSize, MaxPartSize);
        Directory.CreateDirectory(directory);
        var partCount = (int)Math.Max(1, (rows.Count + partSize - 1) / partSize);
        var files = new List<ResultFile>(partCount);
        var buffer = ArrayPool<DeviceStatusRow>.Shared.Rent(BatchSize);
        try
        {
            long written = 0;
            for (var part = 0; part < partCount; part++)
            {
                var name = format.PartFileName(part);
                var path = Path.Combine(directory, name);
                var end = Math.Min(rows.Count, written + partSize);
                var first = written;
                await using (var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true))
                {
                    await using (var writer = ResultFileWriters.Create(format, stream))
                    {
                        while (written < end)
                        {
                            var count = rows.Fill(written, buffer.AsSpan(0, (int)Math.Min(BatchSize, end - written)));
                            await writer.WriteAsync(buffer.AsMemory(0, count), cancellationToken);
                            written += count;
                            if (afterBatch is not null)
                            {
                                await afterBatch(written, cancellationToken);
                            }
                        }

                        await writer.CompleteAsync(cancellationToken);
                    }

                    await stream.FlushAsync(cancellationToken);
                    files.Add(new ResultFile(part, name, path, written - first, stream.Length));
                }
            }
        }
        finally
        {
            ArrayPool<DeviceStatusRow>.Shared.Return(buffer, clearArray: true);
        }

        return files;
    }
}
