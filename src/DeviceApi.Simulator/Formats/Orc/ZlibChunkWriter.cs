using System.IO.Compression;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// Cuts a stream into ORC compression chunks: each at most one compression block of input, raw deflate,
/// behind a 3-byte little-endian header of <c>length * 2 + original</c>. A chunk that deflate does not shrink
/// is stored as it was, with the original flag set.
/// </summary>
internal sealed class ZlibChunkWriter(int blockSize, CompressionLevel level)
{
    private const int HeaderSize = 3;

    public int BlockSize => blockSize;

    /// <summary>Appends <paramref name="input"/>, compressed, to <paramref name="output"/>; returns the bytes added.</summary>
    public int Write(ReadOnlySpan<byte> input, ByteBuffer output)
    {
        var start = output.Length;
        using var sink = new AppendStream(output);
        while (!input.IsEmpty)
        {
            var chunk = input[..Math.Min(blockSize, input.Length)];
            input = input[chunk.Length..];

            // Deflate straight behind a placeholder header: no scratch copy of the chunk's compressed bytes.
            var header = output.Length;
            output.GetSpan(HeaderSize);
            output.Advance(HeaderSize);
            using (var deflate = new DeflateStream(sink, level, leaveOpen: true))
            {
                deflate.Write(chunk);
            }

            var compressed = output.Length - header - HeaderSize;
            if (compressed < chunk.Length)
            {
                WriteHeader(output.Written(header, HeaderSize), compressed, original: false);
            }
            else
            {
                output.Truncate(header + HeaderSize);
                WriteHeader(output.Written(header, HeaderSize), chunk.Length, original: true);
                output.Add(chunk);
            }
        }

        return output.Length - start;
    }

    private static void WriteHeader(Span<byte> destination, int length, bool original)
    {
        var header = (length << 1) | (original ? 1 : 0);
        destination[0] = (byte)header;
        destination[1] = (byte)(header >> 8);
        destination[2] = (byte)(header >> 16);
    }

    /// <summary>A write-only view of a <see cref="ByteBuffer"/> for <see cref="DeflateStream"/>.</summary>
    private sealed class AppendStream(ByteBuffer target) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => target.Add(buffer);

        public override void Write(byte[] buffer, int offset, int count) => target.Add(buffer.AsSpan(offset, count));

        public override void WriteByte(byte value) => target.Add(value);

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
