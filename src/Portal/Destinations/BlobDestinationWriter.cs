using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Destinations;

/// <summary>
/// Writes to an Azure Blob Storage container: the stream is cut into blocks of <see cref="DestinationOptions.BlockSize"/>,
/// each staged while the next is read (two blocks in memory at most), and the block list is committed at the end, so
/// the blob appears whole or not at all. The blob's MD5 is computed on the way and stored with it; the committed size
/// is read back and checked.
/// </summary>
public sealed class BlobDestinationWriter(IHttpClientFactory httpClients, DestinationAddressGuard guard, IOptions<DestinationOptions> options, TimeProvider time) : IDestinationWriter
{
    public const string HttpClientName = "Destinations.Blob";

    public DestinationKind Kind => DestinationKind.AzureBlob;

    public async Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(content);
        var (container, settings) = Open(target);
        var blob = container.GetBlockBlobClient(path);
        try
        {
            var (blocks, bytes, md5) = await StageAsync(blob, content, cancellationToken);
            if (length is { } expected && bytes != expected)
            {
                throw new DestinationFailure($"The file had {bytes} bytes instead of {expected}; nothing was committed to {path}.", permanent: false);
            }
            await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream", ContentHash = md5 },
            }, cancellationToken);
            var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (properties.ContentLength != bytes)
            {
                throw new DestinationFailure($"The blob {path} has {properties.ContentLength} bytes after the upload instead of {bytes}.", permanent: false);
            }
            if (properties.ContentHash is { Length: > 0 } stored && !stored.AsSpan().SequenceEqual(md5))
            {
                throw new DestinationFailure($"The blob {path} has another MD5 after the upload than the bytes sent.", permanent: false);
            }
            return new WrittenFile(path, bytes);
        }
        catch (Exception e) when (e is not DestinationFailure && !cancellationToken.IsCancellationRequested)
        {
            throw Failure(e, target, settings);
        }
    }

    public async Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (container, settings) = Open(target);
        var name = $".portal-probe-{Guid.NewGuid():N}";
        try
        {
            var blob = container.GetBlockBlobClient(name);
            using var probe = new MemoryStream(Encoding.UTF8.GetBytes("A probe of the Device Status Export Portal; it is removed at once.\n"));
            await blob.UploadAsync(probe, cancellationToken: cancellationToken);
            await blob.DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is not DestinationFailure && !cancellationToken.IsCancellationRequested)
        {
            throw Failure(e, target, settings);
        }
    }

    /// <summary>Stages the stream's blocks, one in flight while the next is read; returns their ids, the size and the MD5.</summary>
    private async Task<(List<string> Blocks, long Bytes, byte[] Md5)> StageAsync(BlockBlobClient blob, Stream content, CancellationToken cancellationToken)
    {
        var blockSize = options.Value.BlockSize;
        // Every id of a blob has the same length, also those of an earlier attempt that were never committed.
        var upload = Convert.ToHexString(RandomNumberGenerator.GetBytes(4));
        var blocks = new List<string>();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long bytes = 0;
        var buffers = new[] { ArrayPool<byte>.Shared.Rent(blockSize), ArrayPool<byte>.Shared.Rent(blockSize) };
        Task? inFlight = null;
        try
        {
            for (var index = 0; ; index++)
            {
                var buffer = buffers[index % 2];
                var filled = await FillAsync(content, buffer, blockSize, cancellationToken);
                if (filled == 0)
                {
                    break;
                }
                md5.AppendData(buffer, 0, filled);
                bytes += filled;
                if (inFlight is not null)
                {
                    await inFlight;
                }
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{upload}-{index.ToString("D6", CultureInfo.InvariantCulture)}"));
                blocks.Add(id);
                inFlight = blob.StageBlockAsync(id, new MemoryStream(buffer, 0, filled, writable: false), cancellationToken: cancellationToken);
                if (filled < blockSize)
                {
                    break;
                }
            }
            if (inFlight is not null)
            {
                await inFlight;
                inFlight = null;
            }
        }
        finally
        {
            if (inFlight is not null)
            {
                // The buffers go back to the pool only once nothing reads them any more.
                try
                {
                    await inFlight;
                }
                catch (Exception)
                {
                    // The first failure is the one thrown.
                }
            }
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
        return (blocks, bytes, md5.GetHashAndReset());
    }

    private static async Task<int> FillAsync(Stream content, byte[] buffer, int size, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < size)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, size - filled), cancellationToken);
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return filled;
    }

    private (BlobContainerClient Container, DestinationSettings Settings) Open(DestinationTarget target)
    {
        var settings = DestinationSettings.FromJson(target.Settings);
        if (!guard.AllowPrivate && !(settings.BlobEndpoint ?? "").StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new DestinationFailure($"The blob endpoint {settings.BlobEndpoint} does not use https.", permanent: true);
        }
        var clientOptions = new BlobClientOptions
        {
            Transport = new HttpClientTransport(httpClients.CreateClient(HttpClientName)),
        };
        clientOptions.Retry.MaxRetries = 2;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(500);
        clientOptions.Retry.NetworkTimeout = options.Value.Timeout;
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;
        var container = settings.SecretKind == DestinationSettings.ContainerSasUrl
            ? new BlobContainerClient(new Uri(target.Secret), clientOptions)
            : new BlobContainerClient(target.Secret, settings.Container, clientOptions);
        if (settings.SecretKind == DestinationSettings.ContainerSasUrl
            && new BlobUriBuilder(new Uri(target.Secret)).Sas is { ExpiresOn: var expires } && expires != default && expires <= time.GetUtcNow())
        {
            throw new DestinationFailure(
                $"The container SAS URL expired on {expires.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}; save the destination again with a new one.", permanent: true);
        }
        return (container, settings);
    }

    /// <summary>What went wrong, in words: refused host, unknown name, refused connection, credentials, permissions, missing container.</summary>
    private static DestinationFailure Failure(Exception exception, DestinationTarget target, DestinationSettings settings)
    {
        var where = $"{settings.BlobEndpoint}/{settings.Container}";
        for (var e = exception; e is not null; e = e.InnerException ?? (e as AggregateException)?.InnerExceptions.FirstOrDefault())
        {
            switch (e)
            {
                case DestinationFailure failure:
                    return failure;
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }:
                    return new DestinationFailure($"The name of the blob endpoint {settings.BlobEndpoint} could not be resolved.", false, exception);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new DestinationFailure($"The blob endpoint {settings.BlobEndpoint} refused the connection.", false, exception);
                case SocketException { SocketErrorCode: SocketError.TimedOut }:
                case TaskCanceledException or TimeoutException:
                    return new DestinationFailure($"The blob endpoint {settings.BlobEndpoint} did not answer in time.", false, exception);
                case RequestFailedException { Status: > 0 } failed:
                    return Refused(failed, where, settings, exception);
                default:
                    break;
            }
        }
        return new DestinationFailure($"Writing to {where} failed: {exception.Message}", false, exception);
    }

    private static DestinationFailure Refused(RequestFailedException failed, string where, DestinationSettings settings, Exception exception)
    {
        var sas = settings.SecretKind == DestinationSettings.ContainerSasUrl;
        var message = failed.ErrorCode switch
        {
            "ContainerNotFound" => $"The container {settings.Container} does not exist at {settings.BlobEndpoint}; create it first.",
            "AuthenticationFailed" => sas
                ? $"The storage account refused the SAS token for {where}: its signature is wrong, or it expired or was revoked."
                : $"The storage account refused the account key of the connection string for {where}.",
            "AuthorizationPermissionMismatch" or "AuthorizationResourceTypeMismatch" or "AuthorizationFailure" => sas
                ? $"The SAS token does not allow writing and deleting blobs in {where}; it needs the permissions w and d."
                : $"The credentials do not allow writing to {where}.",
            "AccountIsDisabled" => $"The storage account of {where} is disabled.",
            "ContainerBeingDeleted" or "ContainerDisabled" => $"The container {settings.Container} is being deleted or is disabled.",
            _ => failed.Status switch
            {
                401 or 403 => $"The storage account refused access to {where} ({failed.ErrorCode ?? failed.Status.ToString(CultureInfo.InvariantCulture)}).",
                404 => $"{where} was not found ({failed.ErrorCode ?? "404"}).",
                _ => null,
            },
        };
        return message is null
            ? new DestinationFailure($"The storage account answered {failed.Status} ({failed.ErrorCode}) for {where}.", permanent: false, exception)
            : new DestinationFailure(message, permanent: true, exception);
    }
}
