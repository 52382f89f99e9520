using System.ComponentModel.DataAnnotations;
using System.IO.Compression;

namespace DeviceApi.Simulator.Formats.Orc;

/// <summary>Tuning for <see cref="OrcDeviceStatusWriter"/>; the defaults suit result files of a million rows.</summary>
public sealed class OrcWriterOptions
{
    /// <summary>Rows buffered before a stripe is written; bounds the writer's memory.</summary>
    [Range(1, 10_000_000)]
    public int RowsPerStripe { get; init; } = 100_000;

    /// <summary>Largest uncompressed size of one compression chunk, recorded in the postscript.</summary>
    [Range(1024, (1 << 23) - 1)]
    public int CompressionBlockSize { get; init; } = 256 * 1024;

    /// <summary>Deflate effort for the ZLIB chunks.</summary>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Fastest;
}
