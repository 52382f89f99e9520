using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>
/// Something a person or a team owns: an export, a schedule, a destination or a webhook. Who may read, change or share
/// it is decided in one place, <c>Portal.Security.ResourceAccess</c>, from these two values.
/// </summary>
public interface IOwnedResource
{
    /// <summary>The user who created it; for a team's resource, who set it up.</summary>
    string OwnerId { get; }

    /// <summary>The team it belongs to, by name; null when it is its owner's alone.</summary>
    string? Team { get; }
}

/// <summary>Limits of team names, as the columns store them.</summary>
public static class TeamRules
{
    public const int MaxNameLength = 100;

    /// <summary>A user's team names are stored as one column, one name a line.</summary>
    public const int MaxStoredListLength = 4000;

    public const char ListSeparator = '\n';

    public static string Join(IEnumerable<string> teams) => string.Join(ListSeparator, teams);

    public static IReadOnlyList<string> Split(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : stored.Split(ListSeparator, StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>One export shared, read-only, with one colleague; removing the row takes the colleague's access at once.</summary>
public sealed class ExportShare
{
    public Guid ExportId { get; set; }

    /// <summary>The colleague's user id.</summary>
    public string UserId { get; set; } = "";

    public string UserName { get; set; } = "";

    public string? UserEmail { get; set; }

    /// <summary>The user id of who shared it.</summary>
    public string SharedBy { get; set; } = "";

    public DateTimeOffset SharedAt { get; set; }
}

internal sealed class ExportShareConfiguration : IEntityTypeConfiguration<ExportShare>
{
    public void Configure(EntityTypeBuilder<ExportShare> builder)
    {
        builder.HasKey(s => new { s.ExportId, s.UserId });
        builder.Property(s => s.UserId).HasMaxLength(200);
        builder.Property(s => s.UserName).HasMaxLength(200);
        builder.Property(s => s.UserEmail).HasMaxLength(320);
        builder.Property(s => s.SharedBy).HasMaxLength(200);
        // "Shared with me": a colleague's shares, newest first.
        builder.HasIndex(s => new { s.UserId, s.SharedAt });
        builder.HasOne<ExportRequest>().WithMany().HasForeignKey(s => s.ExportId).OnDelete(DeleteBehavior.Cascade);
    }
}
