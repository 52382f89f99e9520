using Portal.Data;

namespace Portal.Destinations;

/// <summary>Writes to a directory on an SFTP server: uploaded to a temporary name, then renamed.</summary>
public sealed class SftpDestinationWriter : IDestinationWriter
{
    public DestinationKind Kind => DestinationKind.Sftp;

    public Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken) => throw new NotImplementedException();
}
