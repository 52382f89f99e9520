namespace DeviceApi.Simulator.Formats;

/// <summary>
/// Writes one result file (one part) of one format to a stream, rows in order, in batches, without holding
/// the whole file in memory.
/// </summary>
public interface IResultFileWriter : IAsyncDisposable
{
    /// <summary>Appends rows; called any number of times, including zero.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<DeviceStatusRow> rows, CancellationToken cancellationToken = default);

    /// <summary>Writes what is still buffered and the file's trailer; the stream stays open.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}
