using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Destinations;
using Portal.Testing;

namespace Portal.IntegrationTests.Destinations;

/// <summary>The writers against real Azurite and a real sshd (tests/run.sh starts both), with small blocks so a file of a few hundred KB spans several.</summary>
public sealed class DestinationWriterTests
{
    private const int BlockSize = 64 * 1024;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly DestinationOptions Options = new() { AllowPrivateNetworks = true, BlockSize = BlockSize, Timeout = TimeSpan.FromSeconds(10) };

    private static readonly IHttpClientFactory HttpClients = new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();

    private static BlobDestinationWriter BlobWriter() =>
        new(HttpClients, new DestinationAddressGuard(Microsoft.Extensions.Options.Options.Create(Options)), Microsoft.Extensions.Options.Options.Create(Options), TimeProvider.System);

    private static SftpDestinationWriter SftpWriter() =>
        new(new DestinationAddressGuard(Microsoft.Extensions.Options.Options.Create(Options)), Microsoft.Extensions.Options.Options.Create(Options));

    public static DestinationTarget BlobTarget(BlobContainerClient container) => new(
        Guid.NewGuid(),
        DestinationKind.AzureBlob,
        new DestinationSettings
        {
            SecretKind = DestinationSettings.ConnectionString,
            BlobEndpoint = container.GetParentBlobServiceClient().Uri.ToString().TrimEnd('/'),
            Container = container.Name,
        }.ToJson(),
        StorageEngines.AzuriteConnectionString);

    public static DestinationTarget SftpTarget(string directory, bool key = true, string? fingerprint = null, string? password = null)
    {
        var sftp = StorageEngines.Sftp;
        return new DestinationTarget(
            Guid.NewGuid(),
            DestinationKind.Sftp,
            new DestinationSettings
            {
                SecretKind = key ? DestinationSettings.PrivateKey : DestinationSettings.Password,
                Host = sftp.Host,
                Port = sftp.Port,
                Username = sftp.User,
                Directory = directory,
                HostKeyFingerprint = fingerprint ?? sftp.Fingerprint,
            }.ToJson(),
            key ? sftp.PrivateKey : password ?? sftp.Password);
    }

    [Fact]
    public async Task ABlobOfSeveralBlocksIsCommittedWithIdenticalBytesItsSizeAndMd5()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var bytes = RandomNumberGenerator.GetBytes(3 * BlockSize + 1234);

        var written = await BlobWriter().WriteAsync(BlobTarget(container), "csv/2026-12-01/export-1.csv", new MemoryStream(bytes), bytes.Length, Cancellation);

        Assert.Equal(new WrittenFile("csv/2026-12-01/export-1.csv", bytes.Length), written);
        var blob = container.GetBlobClient("csv/2026-12-01/export-1.csv");
        Assert.Equal(bytes, (await blob.DownloadContentAsync(Cancellation)).Value.Content.ToArray());
        var properties = (await blob.GetPropertiesAsync(cancellationToken: Cancellation)).Value;
#pragma warning disable CA5351 // The blob service's Content-MD5 is MD5: a check against corruption, not a signature.
        Assert.Equal(MD5.HashData(bytes), properties.ContentHash);
#pragma warning restore CA5351
        var blocks = (await container.GetBlockBlobClient("csv/2026-12-01/export-1.csv").GetBlockListAsync(cancellationToken: Cancellation)).Value;
        Assert.Equal(4, blocks.CommittedBlocks.Count());
    }

    [Fact]
    public async Task ABlobWhoseSourceFailsHalfwayIsNeverVisibleAndAnEarlierBlobStaysWhole()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var writer = BlobWriter();
        var first = RandomNumberGenerator.GetBytes(BlockSize + 10);
        await writer.WriteAsync(BlobTarget(container), "kept.csv", new MemoryStream(first), first.Length, Cancellation);

        await Assert.ThrowsAnyAsync<Exception>(() => writer.WriteAsync(BlobTarget(container), "half.csv", new FailingStream(3 * BlockSize, BlockSize + 5), 3 * BlockSize, Cancellation));
        await Assert.ThrowsAnyAsync<Exception>(() => writer.WriteAsync(BlobTarget(container), "kept.csv", new FailingStream(3 * BlockSize, BlockSize + 5), 3 * BlockSize, Cancellation));

        Assert.False((await container.GetBlobClient("half.csv").ExistsAsync(Cancellation)).Value);
        Assert.Equal(first, (await container.GetBlobClient("kept.csv").DownloadContentAsync(Cancellation)).Value.Content.ToArray());
    }

    [Fact]
    public async Task AShortBlobIsNotCommitted()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var bytes = RandomNumberGenerator.GetBytes(1000);

        var failure = await Assert.ThrowsAsync<DestinationFailure>(() => BlobWriter().WriteAsync(BlobTarget(container), "short.csv", new MemoryStream(bytes), 2000, Cancellation));

        Assert.Contains("1000 bytes instead of 2000", failure.Message, StringComparison.Ordinal);
        Assert.False((await container.GetBlobClient("short.csv").ExistsAsync(Cancellation)).Value);
    }

    [Fact]
    public async Task TheBlobProbeSucceedsAndLeavesNothingAndAMissingContainerIsNamed()
    {
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await BlobWriter().ProbeAsync(BlobTarget(container), Cancellation);
        Assert.Empty(await container.GetBlobsAsync(cancellationToken: Cancellation).ToListAsync(Cancellation));

        var missing = new BlobServiceClient(StorageEngines.AzuriteConnectionString).GetBlobContainerClient("no-such-container");
        var failure = await Assert.ThrowsAsync<DestinationFailure>(() => BlobWriter().ProbeAsync(BlobTarget(missing), Cancellation));
        Assert.Equal("The container no-such-container does not exist at " + missing.GetParentBlobServiceClient().Uri.ToString().TrimEnd('/') + "; create it first.", failure.Message);
        Assert.True(failure.Permanent);
    }

    [Fact]
    public async Task AnSftpFileIsRenamedIntoPlaceWithIdenticalBytesInDirectoriesItCreatesAndReplacesAnOlderOne()
    {
        var sftp = StorageEngines.Sftp;
        var directory = SftpServer.NewDirectory();
        var writer = SftpWriter();
        var old = RandomNumberGenerator.GetBytes(100);
        var bytes = RandomNumberGenerator.GetBytes(300_000 + 17);

        await writer.WriteAsync(SftpTarget(directory), "parquet/2026-12-01/export-2.parquet", new MemoryStream(old), old.Length, Cancellation);
        var written = await writer.WriteAsync(SftpTarget(directory), "parquet/2026-12-01/export-2.parquet", new MemoryStream(bytes), bytes.Length, Cancellation);

        Assert.Equal(new WrittenFile("parquet/2026-12-01/export-2.parquet", bytes.Length), written);
        var folder = sftp.LocalPath(Path.Combine(directory, "parquet", "2026-12-01"));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(folder, "export-2.parquet"), Cancellation));
        Assert.Equal(["export-2.parquet"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task AnSftpUploadWhoseSourceFailsHalfwayLeavesNoFileUnderTheFinalNameNorAPart()
    {
        var sftp = StorageEngines.Sftp;
        var directory = SftpServer.NewDirectory();

        await Assert.ThrowsAnyAsync<Exception>(() => SftpWriter().WriteAsync(SftpTarget(directory, key: false), "export-1.csv", new FailingStream(400_000, 200_000), 400_000, Cancellation));

        Assert.Empty(Directory.GetFiles(sftp.LocalPath(directory)));
    }

    [Fact]
    public async Task AWrongHostKeyIsRefusedBeforeSigningInWithAMessageThatSaysSo()
    {
        var sftp = StorageEngines.Sftp;
        var wrong = "SHA256:" + Convert.ToBase64String(SHA256.HashData("another server"u8)).TrimEnd('=');

        var failure = await Assert.ThrowsAsync<DestinationFailure>(() => SftpWriter().ProbeAsync(SftpTarget(SftpServer.NewDirectory(), fingerprint: wrong), Cancellation));

        Assert.StartsWith($"The SFTP server's host key {sftp.Fingerprint} does not match the fingerprint {wrong} you saved", failure.Message, StringComparison.Ordinal);
        Assert.True(failure.Permanent);
    }

    [Fact]
    public async Task AWrongPasswordIsRefusedAndTheRightOneProbes()
    {
        var sftp = StorageEngines.Sftp;
        var directory = SftpServer.NewDirectory();

        var failure = await Assert.ThrowsAsync<DestinationFailure>(() => SftpWriter().ProbeAsync(SftpTarget(directory, key: false, password: "not-the-password"), Cancellation));
        await SftpWriter().ProbeAsync(SftpTarget(directory, key: false), Cancellation);

        Assert.Equal($"The SFTP server {sftp.Host}:{sftp.Port} refused to sign in {sftp.User} with the password saved.", failure.Message);
        Assert.True(failure.Permanent);
        Assert.Empty(Directory.GetFiles(sftp.LocalPath(directory)));
    }

    [Fact]
    public async Task AClosedPortIsACleanTemporaryFailure()
    {
        var sftp = StorageEngines.Sftp;
        var port = EnginePorts.Free();
        var target = SftpTarget(SftpServer.NewDirectory());
        target = target with { Settings = (DestinationSettings.FromJson(target.Settings) with { Port = port }).ToJson() };

        var failure = await Assert.ThrowsAsync<DestinationFailure>(() => SftpWriter().ProbeAsync(target, Cancellation));

        Assert.Equal($"The SFTP server {sftp.Host}:{port} refused the connection: nothing listens on that port.", failure.Message);
        Assert.False(failure.Permanent);
    }

    /// <summary>Gives <c>failAfter</c> random bytes of a file of <c>length</c>, then fails as a dropped download would.</summary>
    private sealed class FailingStream(long length, long failAfter) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= failAfter)
            {
                throw new IOException("The download broke off.");
            }
            var n = (int)Math.Min(count, failAfter - _position);
            RandomNumberGenerator.Fill(buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
