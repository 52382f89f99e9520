using System.IO.Compression;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// Cuts a stream into ORC compression chunks: each at most one compression block of input, raw deflate,
/// behind a 3-byte little-endian header of <c>length * 2 + original</c>. A chunk that deflate does not shrink
/// is stored as it was, with the original flag set.
/// </summary>
internal sealed class ZlibChunkWriter(int blockSize, CompressionLevel level) : IDisposable
{
    private readonly MemoryStream _scratch = new();

    public int BlockSize => blockSize;

    public void Dispose() => _scratch.Dispose();

    /// <summary>Appends <paramref name="input"/>, compressed, to <paramref name="output"/>; returns the bytes added.</summary>
    public int Write(ReadOnlySpan<byte> input, ByteBuffer output)
    {
        var start = output.Length;
        while (!input.IsEmpty)
        {
            var chunk = input[..Math.Min(blockSize, input.Length)];
            input = input[chunk.Length..];

            _scratch.SetLength(0);
            using (var deflate = new DeflateStream(_scratch, level, leaveOpen: true))
            {
                deflate.Write(chunk);
            }

            if (_scratch.Length < chunk.Length)
            {
                AddHeader(output, (int)_scratch.Length, original: false);
                output.Add(_scratch.GetBuffer().AsSpan(0, (int)_scratch.Length));
            }
            else
            {
                AddHeader(output, chunk.Length, original: true);
                output.Add(chunk);
            }
        }

        return output.Length - start;
    }

    private static void AddHeader(ByteBuffer output, int length, bool original)
    {
        var header = (length << 1) | (original ? 1 : 0);
        output.Add((byte)header);
        output.Add((byte)(header >> 8));
        output.Add((byte)(header >> 16));
    }
}
