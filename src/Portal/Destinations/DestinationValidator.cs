using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using Portal.Data;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace Portal.Destinations;

/// <summary>A destination's input as checked: what to store, or the field errors.</summary>
public sealed record CheckedDestination(IReadOnlyDictionary<string, string[]> Errors, ValidDestination? Valid);

public sealed record ValidDestination(string Name, DestinationKind Kind, string Target, DestinationSettings Settings, string Secret, string PathTemplate);

/// <summary>
/// Checks a destination's input field by field, with messages that say what to fix: the kind is known and turned on,
/// the credential parses (connection string, SAS URL, private key), names follow the service's rules, the host is
/// allowed (<see cref="DestinationAddressGuard"/>), the fingerprint is one SSH servers show, the path template uses known
/// placeholders. Nothing is connected to; the Test action does that.
/// </summary>
public sealed partial class DestinationValidator(DestinationAddressGuard guard, IOptions<DestinationOptions> options, TimeProvider time)
{
    public async Task<CheckedDestination> CheckAsync(DestinationInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var errors = new Dictionary<string, List<string>>();
        void Error(string field, string message) => (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);

        var name = input.Name?.Trim() ?? "";
        if (name.Length == 0)
        {
            Error("name", "Enter a name for the destination.");
        }
        else if (name.Length > DestinationRules.MaxNameLength)
        {
            Error("name", $"The name is longer than {DestinationRules.MaxNameLength} characters.");
        }

        var pathTemplate = string.IsNullOrWhiteSpace(input.PathTemplate) ? DestinationPaths.DefaultTemplate : input.PathTemplate.Trim();
        if (pathTemplate.Length > DestinationRules.MaxPathTemplateLength)
        {
            Error("pathTemplate", $"The path template is longer than {DestinationRules.MaxPathTemplateLength} characters.");
        }
        else if (DestinationPaths.Check(pathTemplate) is { } templateError)
        {
            Error("pathTemplate", templateError);
        }

        var kind = DestinationKinds.Parse(input.Kind);
        ValidDestination? valid = null;
        if (kind is null)
        {
            Error("kind", string.IsNullOrWhiteSpace(input.Kind)
                ? $"Choose the kind of destination: {string.Join(" or ", DestinationKinds.All)}."
                : $"Unknown kind '{input.Kind}'; use {string.Join(" or ", DestinationKinds.All)}.");
        }
        else if (!options.Value.EnabledKinds.Contains(DestinationKinds.Name(kind.Value)))
        {
            Error("kind", $"Destinations of kind {DestinationKinds.Name(kind.Value)} are turned off on this portal.");
        }
        else
        {
            var part = kind == DestinationKind.AzureBlob ? await CheckBlobAsync(input, Error, cancellationToken) : await CheckSftpAsync(input, Error, cancellationToken);
            if (part is { } p && errors.Count == 0)
            {
                valid = new ValidDestination(name, kind.Value, p.Target, p.Settings, p.Secret, pathTemplate);
            }
        }
        return new CheckedDestination(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), errors.Count == 0 ? valid : null);
    }

    private sealed record KindPart(string Target, DestinationSettings Settings, string Secret);

    private async Task<KindPart?> CheckBlobAsync(DestinationInput input, Action<string, string> error, CancellationToken cancellationToken)
    {
        var connectionString = input.ConnectionString?.Trim();
        var sasUrl = input.ContainerSasUrl?.Trim();
        var container = input.Container?.Trim();
        if (string.IsNullOrEmpty(connectionString) == string.IsNullOrEmpty(sasUrl))
        {
            error("connectionString", "Give either the storage account's connection string or a container SAS URL (one of them).");
            return null;
        }
        Uri endpoint;
        string secretKind;
        string secret;
        if (!string.IsNullOrEmpty(connectionString))
        {
            if (connectionString.Length > DestinationRules.MaxSecretLength)
            {
                error("connectionString", "The connection string is too long.");
                return null;
            }
            try
            {
                endpoint = new BlobServiceClient(connectionString).Uri;
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                error("connectionString", "The connection string could not be read; copy it from the storage account's Access keys (DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...).");
                return null;
            }
            if (string.IsNullOrEmpty(container))
            {
                error("container", "Enter the container's name.");
                return null;
            }
            if (ContainerError(container) is { } containerError)
            {
                error("container", containerError);
                return null;
            }
            secretKind = DestinationSettings.ConnectionString;
            secret = connectionString;
        }
        else
        {
            if (sasUrl!.Length > DestinationRules.MaxSecretLength
                || !Uri.TryCreate(sasUrl, UriKind.Absolute, out var sas) || (sas.Scheme != Uri.UriSchemeHttps && sas.Scheme != Uri.UriSchemeHttp))
            {
                error("containerSasUrl", "Enter the container's SAS URL, e.g. https://account.blob.core.windows.net/container?sv=...&sig=....");
                return null;
            }
            var parts = new BlobUriBuilder(sas);
            if (string.IsNullOrEmpty(parts.BlobContainerName) || !string.IsNullOrEmpty(parts.BlobName))
            {
                error("containerSasUrl", "The SAS URL must point at a container (https://account.blob.core.windows.net/container?...), not at the account or a blob.");
                return null;
            }
            if (parts.Sas is null || string.IsNullOrEmpty(parts.Sas.Signature))
            {
                error("containerSasUrl", "The URL carries no SAS token (sig=...); generate a SAS for the container.");
                return null;
            }
            if (parts.Sas.ExpiresOn != default && parts.Sas.ExpiresOn <= time.GetUtcNow())
            {
                error("containerSasUrl", $"The SAS token expired on {parts.Sas.ExpiresOn.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}; generate a new one.");
                return null;
            }
            if (!string.IsNullOrEmpty(parts.Sas.Permissions) && !parts.Sas.Permissions.Contains('w', StringComparison.Ordinal))
            {
                error("containerSasUrl", $"The SAS token does not allow writing (sp={parts.Sas.Permissions}); it needs w (and d for the Test).");
                return null;
            }
            if (!string.IsNullOrEmpty(container) && !string.Equals(container, parts.BlobContainerName, StringComparison.Ordinal))
            {
                error("container", $"The SAS URL is for container {parts.BlobContainerName}, not {container}.");
                return null;
            }
            container = parts.BlobContainerName;
            parts.BlobContainerName = "";
            parts.Sas = null;
            parts.Query = "";
            endpoint = parts.ToUri();
            secretKind = DestinationSettings.ContainerSasUrl;
            secret = sasUrl;
        }
        var field = secretKind;
        if (endpoint.Scheme != Uri.UriSchemeHttps && !guard.AllowPrivate)
        {
            error(field, "The blob endpoint must use https.");
            return null;
        }
        if (await guard.CheckAsync(endpoint.Host, cancellationToken) is { } hostError)
        {
            error(field, hostError);
            return null;
        }
        var endpointText = endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        var settings = new DestinationSettings { SecretKind = secretKind, BlobEndpoint = endpointText, Container = container };
        return new KindPart($"{endpointText}/{container}", settings, secret);
    }

    private async Task<KindPart?> CheckSftpAsync(DestinationInput input, Action<string, string> error, CancellationToken cancellationToken)
    {
        var ok = true;
        var host = input.Host?.Trim() ?? "";
        if (host.Length == 0)
        {
            error("host", "Enter the SFTP server's host name.");
            ok = false;
        }
        else if (host.Length > 253 || Uri.CheckHostName(host.TrimStart('[').TrimEnd(']')) == UriHostNameType.Unknown)
        {
            error("host", "Enter a host name or address only, e.g. sftp.example.com (no sftp://, no port, no path).");
            ok = false;
        }
        else if (await guard.CheckAsync(host, cancellationToken) is { } hostError)
        {
            error("host", hostError);
            ok = false;
        }
        var port = input.Port ?? 22;
        if (port is < 1 or > 65535)
        {
            error("port", "The port is a number from 1 to 65535 (SFTP servers usually listen on 22).");
            ok = false;
        }
        var username = input.Username?.Trim() ?? "";
        if (username.Length == 0 || username.Length > 100 || username.Any(c => char.IsControl(c) || c is '@' or ':' or '/'))
        {
            error("username", username.Length == 0 ? "Enter the user name to sign in with." : "Enter a user name without @, : or /, at most 100 characters.");
            ok = false;
        }
        var hasPassword = !string.IsNullOrEmpty(input.Password);
        var hasKey = !string.IsNullOrWhiteSpace(input.PrivateKey);
        string secretKind = DestinationSettings.Password;
        string secret = input.Password ?? "";
        if (hasPassword == hasKey)
        {
            error("password", "Give either a password or a private key (one of them).");
            ok = false;
        }
        else if (hasKey)
        {
            secretKind = DestinationSettings.PrivateKey;
            secret = input.PrivateKey!.Trim().Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
            if (PrivateKeyError(secret) is { } keyError)
            {
                error("privateKey", keyError);
                ok = false;
            }
        }
        else if (secret.Length > 1000)
        {
            error("password", "The password is longer than 1000 characters.");
            ok = false;
        }
        var fingerprint = NormalizeFingerprint(input.HostKeyFingerprint);
        if (fingerprint is null)
        {
            error("hostKeyFingerprint", string.IsNullOrWhiteSpace(input.HostKeyFingerprint)
                ? "Enter the server's host-key fingerprint (SHA256:... as ssh-keyscan | ssh-keygen -lf - prints it); it is checked on every connection."
                : "The fingerprint is not in the form SHA256:<43 base64 characters> (or the MD5 form aa:bb:...:ff).");
            ok = false;
        }
        var directory = (input.Directory ?? "").Trim();
        if (directory.Length > 500 || directory.Any(char.IsControl) || directory.Split('/').Any(s => s == ".."))
        {
            error("directory", "Enter the directory as a path such as /upload or exports/daily (no '..').");
            ok = false;
        }
        if (!ok)
        {
            return null;
        }
        directory = directory.Length > 1 ? directory.TrimEnd('/') : directory;
        var settings = new DestinationSettings
        {
            SecretKind = secretKind,
            Host = host,
            Port = port,
            Username = username,
            Directory = directory,
            HostKeyFingerprint = fingerprint,
        };
        var authority = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        var target = $"sftp://{username}@{authority}:{port.ToString(CultureInfo.InvariantCulture)}/{directory.TrimStart('/')}";
        return new KindPart(target, settings, secret);
    }

    /// <summary>Why the private key cannot be used, or null.</summary>
    public static string? PrivateKeyError(string privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey.Length > DestinationRules.MaxSecretLength)
        {
            return "The private key is too long.";
        }
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(privateKey));
            using var key = new PrivateKeyFile(stream);
            return null;
        }
        catch (SshPassPhraseNullOrEmptyException)
        {
            return "The private key is protected by a passphrase; give a key without one.";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The key's parsers throw what their format's reader throws (SSH, ASN.1, base64, cryptography): all of it means unreadable.
            return "The private key could not be read; paste the whole key in OpenSSH or PEM form, from -----BEGIN to -----END.";
        }
    }

    /// <summary><c>SHA256:&lt;base64 without padding&gt;</c>, or the MD5 form in lower-case hex pairs; null when neither.</summary>
    public static string? NormalizeFingerprint(string? fingerprint)
    {
        var text = fingerprint?.Trim() ?? "";
        var sha = Sha256Fingerprint().Match(text);
        if (sha.Success)
        {
            return "SHA256:" + sha.Groups["hash"].Value;
        }
        var md5 = Md5Fingerprint().Match(text);
        return md5.Success ? md5.Groups["hash"].Value.ToLowerInvariant() : null;
    }

    /// <summary>Azure's container name rules.</summary>
    public static string? ContainerError(string container) =>
        ContainerName().IsMatch(container) && !container.Contains("--", StringComparison.Ordinal)
            ? null
            : "A container name is 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.";

    [GeneratedRegex(@"^(?i:SHA256):(?<hash>[A-Za-z0-9+/]{43})=?$")]
    private static partial Regex Sha256Fingerprint();

    [GeneratedRegex(@"^(?:(?i:MD5):)?(?<hash>[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15})$")]
    private static partial Regex Md5Fingerprint();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
