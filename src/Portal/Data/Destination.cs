using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>Where a destination writes. The API spells them <c>azure-blob</c> and <c>sftp</c>.</summary>
public enum DestinationKind
{
    AzureBlob,
    Sftp,
}

/// <summary>The sizes of a destination's columns: what the forms and the API accept.</summary>
public static class DestinationRules
{
    public const int MaxNameLength = 100;

    public const int MaxTargetLength = 1000;

    public const int MaxSettingsLength = 2000;

    public const int MaxPathTemplateLength = 500;

    /// <summary>A private key of 16 KB encrypted with Data Protection stays below this.</summary>
    public const int MaxStoredSecretLength = 32_000;

    public const int MaxSecretLength = 16_000;
}

/// <summary>
/// A place a user delivers exports to: an Azure Blob Storage container or a directory on an SFTP server. Only its owner
/// sees or uses it; its credential is stored encrypted and never shown again.
/// </summary>
public sealed class Destination : IOwnedResource
{
    public Guid Id { get; set; }

    /// <summary>The team it belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; set; }

    public string OwnerId { get; set; } = "";

    public string Name { get; set; } = "";

    public DestinationKind Kind { get; set; }

    /// <summary>Where it writes, without secrets: <c>https://account.blob.core.windows.net/container</c> or <c>sftp://user@host:port/directory</c>.</summary>
    public string Target { get; set; } = "";

    /// <summary>The non-secret settings as JSON: container and blob endpoint, or host, port, user name, directory and host-key fingerprint.</summary>
    public string Settings { get; set; } = "";

    /// <summary>The connection string, container SAS URL, password or private key, encrypted with Data Protection.</summary>
    public string ProtectedSecret { get; set; } = "";

    /// <summary>Where each file goes under the container or directory, e.g. <c>{format}/{from:yyyy-MM-dd}/{export}-{part}.{ext}</c>.</summary>
    public string PathTemplate { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The name of the user who made it.</summary>
    public string CreatedBy { get; set; } = "";

    public DateTimeOffset? LastTestedAt { get; set; }

    public bool? LastTestSucceeded { get; set; }

    public string? LastTestMessage { get; set; }
}

internal sealed class DestinationConfiguration : IEntityTypeConfiguration<Destination>
{
    public void Configure(EntityTypeBuilder<Destination> builder)
    {
        builder.ToTable("Destinations");
        builder.Property(d => d.OwnerId).HasMaxLength(200);
        builder.Property(d => d.Name).HasMaxLength(DestinationRules.MaxNameLength);
        builder.Property(d => d.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(d => d.Target).HasMaxLength(DestinationRules.MaxTargetLength);
        builder.Property(d => d.Settings).HasMaxLength(DestinationRules.MaxSettingsLength);
        builder.Property(d => d.ProtectedSecret).HasMaxLength(DestinationRules.MaxStoredSecretLength);
        builder.Property(d => d.PathTemplate).HasMaxLength(DestinationRules.MaxPathTemplateLength);
        builder.Property(d => d.CreatedBy).HasMaxLength(200);
        builder.Property(d => d.LastTestMessage).HasMaxLength(1000);
        builder.HasIndex(d => d.OwnerId);
        builder.Property(d => d.Team).HasMaxLength(TeamRules.MaxNameLength);
        builder.HasIndex(d => d.Team);
    }
}
