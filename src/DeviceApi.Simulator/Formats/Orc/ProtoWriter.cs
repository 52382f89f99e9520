using System.Buffers.Binary;
using System.Text;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>
/// The handful of protobuf wire types ORC's metadata needs. Nested messages are written to their own
/// <see cref="ProtoWriter"/> first because protobuf prefixes them with their length.
/// </summary>
internal sealed class ProtoWriter : IDisposable
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;

    public ByteBuffer Buffer { get; } = new(256);

    public void Clear() => Buffer.Clear();

    public void Dispose() => Buffer.Dispose();

    public void UInt64(int field, ulong value)
    {
        Tag(field, Varint);
        Buffer.AddVarint(value);
    }

    public void SInt64(int field, long value)
    {
        Tag(field, Varint);
        Buffer.AddVarint((ulong)((value << 1) ^ (value >> 63)));
    }

    public void Bool(int field, bool value) => UInt64(field, value ? 1UL : 0UL);

    public void Double(int field, double value)
    {
        Tag(field, Fixed64);
        BinaryPrimitives.WriteDoubleLittleEndian(Buffer.GetSpan(8), value);
        Buffer.Advance(8);
    }

    public void String(int field, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Tag(field, LengthDelimited);
        Buffer.AddVarint((ulong)length);
        Buffer.Advance(Encoding.UTF8.GetBytes(value, Buffer.GetSpan(length)));
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimited);
        Buffer.AddVarint((ulong)value.Length);
        Buffer.Add(value);
    }

    public void Message(int field, ProtoWriter message) => Bytes(field, message.Buffer.Span);

    public void PackedUInt32(int field, ReadOnlySpan<uint> values)
    {
        var length = 0;
        foreach (var value in values)
        {
            length += VarintLength(value);
        }

        Tag(field, LengthDelimited);
        Buffer.AddVarint((ulong)length);
        foreach (var value in values)
        {
            Buffer.AddVarint(value);
        }
    }

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private void Tag(int field, int wireType) => Buffer.AddVarint((ulong)((field << 3) | wireType));
}
