using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Orc;

public class OrcRunLengthEncodingTests
{
    public static TheoryData<string> Sequences => ["runs", "ascending", "descending", "random", "extremes", "short-runs", "small", "mixed"];

    [Theory]
    [MemberData(nameof(Sequences))]
    public void SignedIntegersSurviveRleV2(string sequence)
    {
        var values = Generate(sequence, signed: true);

        Assert.Equal(values, RoundTrip(values, signed: true));
    }

    [Theory]
    [MemberData(nameof(Sequences))]
    public void UnsignedIntegersSurviveRleV2(string sequence)
    {
        var values = Generate(sequence, signed: false);

        Assert.Equal(values, RoundTrip(values, signed: false));
    }

    [Fact]
    public void LongRunsShrinkToAFewBytes()
    {
        var output = new ByteBuffer();
        var writer = new IntegerRleV2Writer(output, signed: true);
        for (var i = 0; i < 100_000; i++)
        {
            writer.Write(1_795_000_000 + (i / 1_000 * 60));
        }

        writer.Flush();

        Assert.True(output.Length < 2_000, $"{output.Length} bytes");
    }

    [Fact]
    public void BytesAndBooleansSurviveTheirRunLengthEncodings()
    {
        var random = new Random(5);
        var bits = Enumerable.Range(0, 20_000).Select(i => i % 5_000 < 4_500 || random.Next(2) == 0).ToArray();
        var output = new ByteBuffer();
        var writer = new BooleanRleWriter(output);
        foreach (var bit in bits)
        {
            writer.Write(bit);
        }

        writer.Flush();

        var reader = new BooleanRleReader(new StreamCursor(output.Span.ToArray()));
        Assert.Equal(bits, bits.Select(_ => reader.Next()));
        Assert.True(output.Length < 20_000 / 8 / 4, $"{output.Length} bytes");
    }

    private static long[] RoundTrip(long[] values, bool signed)
    {
        var output = new ByteBuffer();
        var writer = new IntegerRleV2Writer(output, signed);
        foreach (var value in values)
        {
            writer.Write(value);
        }

        writer.Flush();
        var reader = new IntegerRleV2Reader(new StreamCursor(output.Span.ToArray()), signed);
        return [.. values.Select(_ => reader.Next())];
    }

    private static long[] Generate(string sequence, bool signed)
    {
        var random = new Random(sequence.Length);
        long Any() => signed ? random.NextInt64(long.MinValue, long.MaxValue) : random.NextInt64(0, long.MaxValue);
        var values = sequence switch
        {
            "runs" => Enumerable.Range(0, 3_000).Select(i => (long)(i / 700)),
            "ascending" => Enumerable.Range(0, 3_000).Select(i => (i * 7L) + (i % 3)),
            "descending" => Enumerable.Range(0, 3_000).Select(i => 1_000_000L - (i * i)),
            "random" => Enumerable.Range(0, 3_000).Select(_ => Any()),
            "extremes" => new[] { 0L, 1, long.MaxValue, long.MaxValue, long.MaxValue - 1, signed ? long.MinValue : 2, signed ? -1 : 3, 0, long.MaxValue },
            "short-runs" => Enumerable.Range(0, 3_000).Select(i => (long)((i / (1 + (i % 11))) % 5)),
            "small" => new[] { 42L },
            _ => Enumerable.Range(0, 5_000).Select(i => (i % 600) switch
            {
                < 100 => 5L,
                < 300 => i,
                < 400 => random.Next(1_000),
                _ => Any(),
            }),
        };
        return [.. values];
    }
}
