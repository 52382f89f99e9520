using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>
/// A personal access token for the API. Only the SHA-256 of the secret is stored; <see cref="Prefix"/> (the first
/// characters) lets its owner recognise it. It acts as its owner as the portal knows them now (<see cref="PortalUser"/>).
/// </summary>
public sealed class AccessToken
{
    public Guid Id { get; set; }

    public string OwnerId { get; set; } = "";

    public string OwnerName { get; set; } = "";

    public string? OwnerEmail { get; set; }

    /// <summary>
    /// Whether the owner was an admin when creating the token: its lifetime was capped for admin rights. It acts as an
    /// admin only while this is true and the owner's latest sign-in carried the admin role.
    /// </summary>
    public bool IsAdmin { get; set; }

    public string Name { get; set; } = "";

    public string Prefix { get; set; } = "";

    /// <summary>Lowercase hex SHA-256 of the whole token.</summary>
    public string Hash { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}

internal sealed class AccessTokenConfiguration : IEntityTypeConfiguration<AccessToken>
{
    public void Configure(EntityTypeBuilder<AccessToken> builder)
    {
        builder.Property(t => t.OwnerId).HasMaxLength(200);
        builder.Property(t => t.OwnerName).HasMaxLength(200);
        builder.Property(t => t.OwnerEmail).HasMaxLength(320);
        builder.Property(t => t.Name).HasMaxLength(100);
        builder.Property(t => t.Prefix).HasMaxLength(16);
        builder.Property(t => t.Hash).HasMaxLength(64);
        builder.Property(t => t.RevokedBy).HasMaxLength(200);
        builder.HasIndex(t => t.Hash).IsUnique();
        builder.HasIndex(t => new { t.OwnerId, t.CreatedAt });
    }
}
