using System.Buffers.Binary;
using System.Text;

namespace DeviceStatus.Formats.Orc;

/// <summary>Reads protobuf fields one at a time; unknown fields are skipped, as protobuf requires.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public int Field { get; private set; }

    public int WireType { get; private set; }

    public bool Next()
    {
        if (_position >= _data.Length)
        {
            return false;
        }

        var tag = Varint();
        Field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        return true;
    }

    public ulong Varint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("Malformed protobuf varint.");
    }

    public long SInt64()
    {
        var raw = Varint();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public double Double()
    {
        var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
        _position += 8;
        return value;
    }

    public ReadOnlySpan<byte> Bytes()
    {
        var length = checked((int)Varint());
        var value = _data.Slice(_position, length);
        _position += length;
        return value;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    /// <summary>A repeated scalar, which writers may send packed or one value per tag.</summary>
    public void UInt64s(List<ulong> values)
    {
        if (WireType == 2)
        {
            var packed = new ProtoReader(Bytes());
            while (packed._position < packed._data.Length)
            {
                values.Add(packed.Varint());
            }
        }
        else
        {
            values.Add(Varint());
        }
    }

    public void Skip()
    {
        switch (WireType)
        {
            case 0:
                Varint();
                break;
            case 1:
                _position += 8;
                break;
            case 2:
                Bytes();
                break;
            case 5:
                _position += 4;
                break;
            default:
                throw new InvalidDataException($"Unsupported protobuf wire type {WireType}.");
        }
    }
}
