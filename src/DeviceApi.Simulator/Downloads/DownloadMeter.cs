namespace DeviceApi.Simulator.Downloads;

/// <summary>
/// Bytes of result files served (the body of each GET, whole or ranged), so tests and benchmarks can see how much
/// of a file a client really read.
/// </summary>
public sealed class DownloadMeter
{
    private long _bytesServed;
    private long _responses;

    public long BytesServed => Interlocked.Read(ref _bytesServed);

    /// <summary>GETs of result files answered with a body.</summary>
    public long Responses => Interlocked.Read(ref _responses);

    internal void Served(long bytes)
    {
        Interlocked.Add(ref _bytesServed, bytes);
        Interlocked.Increment(ref _responses);
    }
}
