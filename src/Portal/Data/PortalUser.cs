using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Data;

/// <summary>
/// A user as the portal knows them from their latest interactive sign-in (Entra ID or the development sign-in):
/// personal access tokens are checked against this row on every use.
/// </summary>
public sealed class PortalUser
{
    /// <summary>The id the portal knows the user by (Entra object id, else name identifier).</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Email { get; set; }

    /// <summary>When the user last signed in interactively.</summary>
    public DateTimeOffset LastSignInAt { get; set; }

    /// <summary>Whether that sign-in carried the admin role; a token acts as admin only while this is true.</summary>
    public bool LastSignInWasAdmin { get; set; }

    /// <summary>
    /// The teams that sign-in made the user a member of, one name a line (<see cref="TeamRules.Split"/>); a token reads
    /// a team's resources only while this names the team.
    /// </summary>
    public string Teams { get; set; } = "";

    /// <summary>The teams that sign-in made the user a maintainer of, stored like <see cref="Teams"/>.</summary>
    public string MaintainedTeams { get; set; } = "";

    /// <summary>When an admin revoked all of the user's tokens: every token created before this is refused.</summary>
    public DateTimeOffset? TokensRevokedAt { get; set; }

    public string? TokensRevokedBy { get; set; }
}

internal sealed class PortalUserConfiguration : IEntityTypeConfiguration<PortalUser>
{
    public void Configure(EntityTypeBuilder<PortalUser> builder)
    {
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(200);
        builder.Property(u => u.Name).HasMaxLength(200);
        builder.Property(u => u.Email).HasMaxLength(320);
        builder.Property(u => u.TokensRevokedBy).HasMaxLength(200);
        builder.Property(u => u.Teams).HasMaxLength(TeamRules.MaxStoredListLength);
        builder.Property(u => u.MaintainedTeams).HasMaxLength(TeamRules.MaxStoredListLength);
    }
}
