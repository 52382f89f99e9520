using Azure.Storage.Blobs;

namespace Portal.Testing;

/// <summary>
/// The storage engines <c>tests/run.sh</c> starts on free loopback ports: Azurite (<c>PORTAL_TEST_AZURITE</c>, a
/// connection string) and Debian's sshd serving SFTP (<c>PORTAL_TEST_SFTP</c> and the variables beside it).
/// </summary>
public static class StorageEngines
{
    /// <summary>Azurite's connection string (the well-known development account).</summary>
    public static string AzuriteConnectionString => Required("PORTAL_TEST_AZURITE");

    public static SftpServer Sftp
    {
        get
        {
            var endpoint = Required("PORTAL_TEST_SFTP");
            var colon = endpoint.LastIndexOf(':');
            return new SftpServer(
                endpoint[..colon],
                int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
                Required("PORTAL_TEST_SFTP_USER"),
                Required("PORTAL_TEST_SFTP_PASSWORD"),
                Required("PORTAL_TEST_SFTP_KEY"),
                Required("PORTAL_TEST_SFTP_FINGERPRINT"),
                Required("PORTAL_TEST_SFTP_ROOT"));
        }
    }

    /// <summary>A new, empty container in Azurite, named for the test.</summary>
    public static async Task<BlobContainerClient> NewContainerAsync(CancellationToken cancellationToken)
    {
        var container = new BlobServiceClient(AzuriteConnectionString).GetBlobContainerClient($"t{Guid.NewGuid():N}");
        await container.CreateAsync(cancellationToken: cancellationToken);
        return container;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with tests/run.sh, which starts Azurite and an SFTP server.");
}

/// <summary>The tests' SFTP server: a throw-away user with a password and a key, and the directory it writes to.</summary>
public sealed record SftpServer(string Host, int Port, string User, string Password, string KeyPath, string Fingerprint, string Root)
{
    public string PrivateKey => File.ReadAllText(KeyPath);

    /// <summary>A new directory of the test's own under the user's root, as a path relative to it.</summary>
    public static string NewDirectory() => $"t{Guid.NewGuid():N}";

    public string LocalPath(string relative) => Path.Combine(Root, relative);
}
