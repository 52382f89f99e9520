using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Portal.Data;
using Renci.SshNet;
using Renci.SshNet.Common;
using SshConnectionInfo = Renci.SshNet.ConnectionInfo;

namespace Portal.Destinations;

/// <summary>
/// Writes to a directory on an SFTP server. The server's host key is checked against the saved fingerprint before
/// anything else is sent. A file is uploaded to <c>&lt;name&gt;.part-&lt;random&gt;</c> and renamed when complete (replacing
/// an older file of that name), so nothing half-written carries the final name; its size is read back after the rename.
/// Missing directories are created.
/// </summary>
public sealed class SftpDestinationWriter(DestinationAddressGuard guard, IOptions<DestinationOptions> options) : IDestinationWriter
{
    public DestinationKind Kind => DestinationKind.Sftp;

    public async Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(content);
        var settings = DestinationSettings.FromJson(target.Settings);
        var session = new Session(settings);
        try
        {
            using var client = await ConnectAsync(target, settings, session, cancellationToken);
            var final = Combine(settings.Directory, path);
            await CreateDirectoriesAsync(client, Parent(final), cancellationToken);
            session.Step = $"writing {final}";
            var temporary = $"{final}.part-{Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
            var counted = new CountingStream(content);
            try
            {
                await client.UploadFileAsync(counted, temporary, false, null, cancellationToken);
                if (length is { } expected && counted.Count != expected)
                {
                    throw new DestinationFailure($"The file had {counted.Count} bytes instead of {expected}; {final} was not written.", permanent: false);
                }
                await RenameAsync(client, temporary, final, cancellationToken);
            }
            catch
            {
                await RemoveQuietlyAsync(client, temporary);
                throw;
            }
            var size = (await client.GetAttributesAsync(final, cancellationToken)).Size;
            if (size != counted.Count)
            {
                throw new DestinationFailure($"{final} has {size} bytes on the SFTP server after the upload instead of {counted.Count}.", permanent: false);
            }
            return new WrittenFile(path, counted.Count);
        }
        catch (Exception e) when (e is not DestinationFailure && !cancellationToken.IsCancellationRequested)
        {
            throw Failure(e, settings, session);
        }
    }

    public async Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var settings = DestinationSettings.FromJson(target.Settings);
        var session = new Session(settings);
        try
        {
            using var client = await ConnectAsync(target, settings, session, cancellationToken);
            if (!string.IsNullOrEmpty(settings.Directory))
            {
                await CreateDirectoriesAsync(client, settings.Directory, cancellationToken);
            }
            var probe = Combine(settings.Directory, $".portal-probe-{Guid.NewGuid():N}");
            session.Step = $"writing the probe file {probe}";
            using var body = new MemoryStream(Encoding.UTF8.GetBytes("A probe of the Device Status Export Portal; it is removed at once.\n"));
            await client.UploadFileAsync(body, probe, false, null, cancellationToken);
            session.Step = $"removing the probe file {probe}";
            await client.DeleteFileAsync(probe, cancellationToken);
        }
        catch (Exception e) when (e is not DestinationFailure && !cancellationToken.IsCancellationRequested)
        {
            throw Failure(e, settings, session);
        }
    }

    /// <summary>What a connection is doing, for the message when it fails; and a host key that did not match.</summary>
    private sealed class Session(DestinationSettings settings)
    {
        public string Step { get; set; } = $"connecting to {settings.Host}:{settings.Port}";

        public string? RefusedHostKey { get; set; }
    }

    private async Task<SftpClient> ConnectAsync(DestinationTarget target, DestinationSettings settings, Session session, CancellationToken cancellationToken)
    {
        var host = settings.Host ?? throw new DestinationFailure("The destination has no host.", permanent: true);
        var username = settings.Username ?? throw new DestinationFailure("The destination has no user name.", permanent: true);
        var addresses = await guard.ResolveAsync(host, cancellationToken);
        var authentication = settings.SecretKind == DestinationSettings.PrivateKey
            ? (AuthenticationMethod)new PrivateKeyAuthenticationMethod(username, new PrivateKeyFile(new MemoryStream(Encoding.UTF8.GetBytes(target.Secret))))
            : new PasswordAuthenticationMethod(username, target.Secret);
        // The address checked is the address connected to: a name that resolves elsewhere a moment later reaches nothing.
        var connection = new SshConnectionInfo(addresses[0].ToString(), settings.Port ?? 22, username, authentication)
        {
            Timeout = options.Value.Timeout,
        };
        var client = new SftpClient(connection) { OperationTimeout = options.Value.Timeout };
        client.HostKeyReceived += (_, e) =>
        {
            e.CanTrust = Matches(settings.HostKeyFingerprint, e);
            if (!e.CanTrust)
            {
                session.RefusedHostKey = "SHA256:" + e.FingerPrintSHA256;
            }
        };
        try
        {
            await client.ConnectAsync(cancellationToken);
            session.Step = "signing in";
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static bool Matches(string? saved, HostKeyEventArgs key) =>
        saved is not null && (saved.StartsWith("SHA256:", StringComparison.Ordinal)
            ? string.Equals(saved["SHA256:".Length..], key.FingerPrintSHA256, StringComparison.Ordinal)
            : string.Equals(saved, key.FingerPrintMD5, StringComparison.OrdinalIgnoreCase));

    private static async Task CreateDirectoriesAsync(SftpClient client, string directory, CancellationToken cancellationToken)
    {
        if (directory is "" or "/" or "." || await client.ExistsAsync(directory, cancellationToken))
        {
            return;
        }
        await CreateDirectoriesAsync(client, Parent(directory), cancellationToken);
        try
        {
            await client.CreateDirectoryAsync(directory, cancellationToken);
        }
        catch (SshException)
        {
            // Made by another upload at the same moment, or a real refusal: then this throws.
            if (!await client.ExistsAsync(directory, cancellationToken))
            {
                throw;
            }
        }
    }

    /// <summary>Renames over an existing file: OpenSSH's posix-rename replaces it in one step; plain SFTP needs it removed first.</summary>
    private static async Task RenameAsync(SftpClient client, string from, string to, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(() => client.RenameFile(from, to, isPosix: true), cancellationToken);
        }
        catch (NotSupportedException)
        {
            if (await client.ExistsAsync(to, cancellationToken))
            {
                await client.DeleteFileAsync(to, cancellationToken);
            }
            await client.RenameFileAsync(from, to, cancellationToken);
        }
    }

    private static async Task RemoveQuietlyAsync(SftpClient client, string path)
    {
        try
        {
            if (client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await client.DeleteFileAsync(path, timeout.Token);
            }
        }
        catch (Exception e) when (e is SshException or OperationCanceledException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The temporary name is never taken for a finished file; a leftover is only clutter.
        }
    }

    private static string Combine(string? directory, string path) =>
        string.IsNullOrEmpty(directory) || directory == "." ? path.TrimStart('/') : $"{directory.TrimEnd('/')}/{path.TrimStart('/')}";

    private static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash switch
        {
            < 0 => "",
            0 => "/",
            _ => path[..slash],
        };
    }

    /// <summary>What went wrong, in words: unknown name, refused connection, host key, sign-in, permission, missing directory.</summary>
    private static DestinationFailure Failure(Exception exception, DestinationSettings settings, Session session)
    {
        var server = $"{settings.Host}:{settings.Port?.ToString(CultureInfo.InvariantCulture)}";
        if (session.RefusedHostKey is { } offered)
        {
            return new DestinationFailure(
                $"The SFTP server's host key {offered} does not match the fingerprint {settings.HostKeyFingerprint} you saved; nothing was sent. "
                + "If the server's key changed, check the new fingerprint with its administrator and save the destination again.", permanent: true, exception);
        }
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new DestinationFailure($"The SFTP server {server} refused the connection: nothing listens on that port.", false, exception);
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }:
                    return new DestinationFailure($"The host name {settings.Host} could not be resolved.", false, exception);
                case SocketException { SocketErrorCode: SocketError.TimedOut } or SshOperationTimeoutException or TimeoutException:
                    return new DestinationFailure($"The SFTP server {server} did not answer in time while {session.Step}.", false, exception);
                case SocketException socket:
                    return new DestinationFailure($"Could not connect to the SFTP server {server}: {socket.SocketErrorCode}.", false, exception);
                case SshAuthenticationException:
                    return new DestinationFailure(
                        $"The SFTP server {server} refused to sign in {settings.Username} with the {(settings.SecretKind == DestinationSettings.PrivateKey ? "private key" : "password")} saved.",
                        true, exception);
                case SftpPermissionDeniedException:
                    return new DestinationFailure($"The SFTP server {server} denied permission while {session.Step}.", true, exception);
                case SftpPathNotFoundException:
                    return new DestinationFailure($"A path was not found on the SFTP server {server} while {session.Step}.", true, exception);
                case SshConnectionException connection:
                    return new DestinationFailure($"The SFTP server {server} closed the connection while {session.Step}: {connection.Message}", false, exception);
                default:
                    break;
            }
        }
        return new DestinationFailure($"The SFTP transfer to {server} failed while {session.Step}: {exception.Message}", false, exception);
    }

    /// <summary>Counts what the upload read, to compare with the expected size and the size on the server.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Count { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Count;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            Count += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            Count += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
