using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>
/// The Data Protection key ring's rows (<see cref="DataProtectionKey"/>: one key or revocation each, its XML as Data
/// Protection wrote it, encrypted with the key ring's certificate when one is set). A friendly name is unique, so a
/// key moved from an older store is never stored twice, however many instances start at once.
/// </summary>
internal sealed class DataProtectionKeyConfiguration : IEntityTypeConfiguration<DataProtectionKey>
{
    public void Configure(EntityTypeBuilder<DataProtectionKey> builder)
    {
        builder.ToTable("DataProtectionKeys");
        builder.Property(k => k.FriendlyName).HasMaxLength(200);
        builder.HasIndex(k => k.FriendlyName).IsUnique();
    }
}

/// <summary>
/// A user of the development sign-in (Development only) when several instances share them: every instance knows a
/// session begun on another, and a restart of Redis or of an instance signs nobody out.
/// </summary>
public sealed class DevelopmentUserEntry
{
    /// <summary>The stable id made from the name (<c>dev-</c> and its letters and digits).</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Email { get; set; }

    public bool IsAdmin { get; set; }
}

internal sealed class DevelopmentUserEntryConfiguration : IEntityTypeConfiguration<DevelopmentUserEntry>
{
    public void Configure(EntityTypeBuilder<DevelopmentUserEntry> builder)
    {
        builder.ToTable("DevelopmentUsers");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(200);
        builder.Property(u => u.Name).HasMaxLength(200);
        builder.Property(u => u.Email).HasMaxLength(320);
    }
}
