using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Data;

namespace Portal.Destinations;

/// <summary>
/// What a user gives to define a destination: the fields of one kind (<c>azure-blob</c>: a connection string or a
/// container SAS URL, and the container; <c>sftp</c>: host, port, user name, a password or a private key, the host-key
/// fingerprint and the directory) and, for both, an optional path template.
/// </summary>
public sealed record DestinationInput(
    string? Name,
    string? Kind,
    string? ConnectionString,
    string? ContainerSasUrl,
    string? Container,
    string? Host,
    int? Port,
    string? Username,
    string? Password,
    string? PrivateKey,
    string? HostKeyFingerprint,
    string? Directory,
    string? PathTemplate,
    string? Team = null);

/// <summary>
/// A destination as its owner and its team see it: never its credential. <see cref="Team"/>: the team it belongs to (null:
/// its owner's alone); <see cref="CreatedBy"/>: the name of who set it up.
/// </summary>
public sealed record DestinationInfo(
    Guid Id,
    string Name,
    string Kind,
    string Target,
    string PathTemplate,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastTestedAt,
    bool? LastTestSucceeded,
    string? LastTestMessage) : IOwnedResource
{
    public string? Team { get; init; }

    public string CreatedBy { get; init; } = "";

    /// <summary>Who set it up, by user id: for the pages' checks, not shown by the API.</summary>
    [JsonIgnore]
    public string OwnerId { get; init; } = "";
}

public abstract record DestinationRegistration
{
    private DestinationRegistration() { }

    public sealed record Created(DestinationInfo Destination) : DestinationRegistration;

    /// <summary>Nothing stored; field name (<c>name</c>, <c>kind</c>, <c>host</c>, ...) to messages.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : DestinationRegistration;
}

/// <summary>The outcome of writing and removing a probe file; <see cref="Message"/> says in words what failed.</summary>
public sealed record DestinationTestResult(bool Succeeded, string Message);

/// <summary>A file a writer wrote: its path under the container or directory and its size as verified.</summary>
public sealed record WrittenFile(string Path, long Bytes);

/// <summary>A destination as a writer needs it: its settings and its credential, decrypted.</summary>
public sealed record DestinationTarget(Guid Id, DestinationKind Kind, string Settings, string Secret)
{
    /// <summary>Never the credential.</summary>
    public override string ToString() => $"DestinationTarget {{ Id = {Id}, Kind = {Kind} }}";
}

/// <summary>What the path template of a destination may use for one file of an export.</summary>
public sealed record ExportPathValues(Guid ExportId, string ExportName, string Format, DateTimeOffset From, DateTimeOffset To, int Part, string Extension);

/// <summary>
/// Writes export files to one kind of destination so that nothing half-written is visible as complete, and checks what it wrote.
/// </summary>
public interface IDestinationWriter
{
    DestinationKind Kind { get; }

    /// <summary>
    /// Streams <paramref name="content"/> to <paramref name="path"/> (blob: stages blocks and commits the block list at
    /// the end; SFTP: uploads to a temporary name, then renames), then verifies the size (and the MD5 where the service
    /// keeps one). <paramref name="length"/> is the expected size when known. Never holds the whole file in memory.
    /// Throws <see cref="DestinationFailure"/> with a message in words.
    /// </summary>
    Task<WrittenFile> WriteAsync(DestinationTarget target, string path, Stream content, long? length, CancellationToken cancellationToken);

    /// <summary>Writes a small probe file and removes it; throws <see cref="DestinationFailure"/> saying what failed.</summary>
    Task ProbeAsync(DestinationTarget target, CancellationToken cancellationToken);
}

/// <summary>
/// A destination refused or failed a write; the message says what in words. <see cref="Permanent"/> when trying again
/// cannot help (credentials refused, host key does not match, container or directory missing, no write permission).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1710", Justification = "The name other features catch it by; it reads as the domain's word.")]
public sealed class DestinationFailure : Exception
{
    public DestinationFailure()
    {
    }

    public DestinationFailure(string message)
        : base(message)
    {
    }

    public DestinationFailure(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public DestinationFailure(string message, bool permanent, Exception? innerException = null)
        : base(message, innerException)
    {
        Permanent = permanent;
    }

    public bool Permanent { get; }
}

/// <summary>The API's names of the kinds.</summary>
public static class DestinationKinds
{
    public const string AzureBlob = "azure-blob";

    public const string Sftp = "sftp";

    public static IReadOnlyList<string> All { get; } = [AzureBlob, Sftp];

    public static string Name(DestinationKind kind) => kind switch
    {
        DestinationKind.AzureBlob => AzureBlob,
        DestinationKind.Sftp => Sftp,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static DestinationKind? Parse(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        AzureBlob => DestinationKind.AzureBlob,
        Sftp => DestinationKind.Sftp,
        _ => null,
    };
}

/// <summary>The non-secret settings of a destination, stored as JSON in <see cref="Destination.Settings"/>.</summary>
public sealed record DestinationSettings
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>What the secret is: <c>connectionString</c> or <c>containerSasUrl</c> (blob), <c>password</c> or <c>privateKey</c> (SFTP).</summary>
    public string SecretKind { get; init; } = "";

    public string? BlobEndpoint { get; init; }

    public string? Container { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public string? Username { get; init; }

    public string? Directory { get; init; }

    public string? HostKeyFingerprint { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static DestinationSettings FromJson(string json) =>
        JsonSerializer.Deserialize<DestinationSettings>(json, Json) ?? throw new InvalidOperationException("The destination's settings are empty.");

    public const string ConnectionString = "connectionString";
    public const string ContainerSasUrl = "containerSasUrl";
    public const string Password = "password";
    public const string PrivateKey = "privateKey";
}
