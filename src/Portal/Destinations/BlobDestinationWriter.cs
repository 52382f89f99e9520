using Portal.Data;

namespace Portal.Destinations;

/// <summary>Writes to an Azure Blob Storage container: blocks staged from the stream, the block list committed at the end.</summary>
public sealed class BlobDestinationWriter : IDestinationWriter
{
    public DestinationKind Kind => DestinationKind.AzureBlob;

    public Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken) => throw new NotImplementedException();
}
