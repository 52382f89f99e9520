namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>ORC's byte run length encoding: runs of 3 to 130 equal bytes, or up to 128 literal bytes.</summary>
internal sealed class ByteRleWriter(ByteBuffer output)
{
    private const int MinRepeat = 3;
    private const int MaxRepeat = 127 + MinRepeat;
    private const int MaxLiterals = 128;

    private readonly byte[] _literals = new byte[MaxLiterals];
    private int _count;
    private int _tailRun;
    private bool _repeating;

    public void Write(byte value)
    {
        if (_count == 0)
        {
            _literals[0] = value;
            _count = 1;
            _tailRun = 1;
        }
        else if (_repeating)
        {
            if (value == _literals[0])
            {
                if (++_count == MaxRepeat)
                {
                    Flush();
                }
            }
            else
            {
                Flush();
                Write(value);
            }
        }
        else
        {
            _tailRun = value == _literals[_count - 1] ? _tailRun + 1 : 1;
            if (_tailRun == MinRepeat)
            {
                if (_count + 1 > MinRepeat)
                {
                    _count -= MinRepeat - 1;
                    Flush();
                    _literals[0] = value;
                }

                _repeating = true;
                _count = MinRepeat;
            }
            else
            {
                _literals[_count++] = value;
                if (_count == MaxLiterals)
                {
                    Flush();
                }
            }
        }
    }

    public void Flush()
    {
        if (_count > 0)
        {
            if (_repeating)
            {
                output.Add((byte)(_count - MinRepeat));
                output.Add(_literals[0]);
            }
            else
            {
                output.Add((byte)-_count);
                output.Add(_literals.AsSpan(0, _count));
            }
        }

        _count = 0;
        _tailRun = 0;
        _repeating = false;
    }
}

/// <summary>Booleans eight to a byte, most significant bit first, then byte run length encoded.</summary>
internal sealed class BooleanRleWriter(ByteBuffer output)
{
    private readonly ByteRleWriter _bytes = new(output);
    private int _current;
    private int _bits;

    public void Write(bool value)
    {
        _current = (_current << 1) | (value ? 1 : 0);
        if (++_bits == 8)
        {
            _bytes.Write((byte)_current);
            _current = 0;
            _bits = 0;
        }
    }

    public void Flush()
    {
        if (_bits > 0)
        {
            _bytes.Write((byte)(_current << (8 - _bits)));
            _current = 0;
            _bits = 0;
        }

        _bytes.Flush();
    }
}
