using System.Security.Claims;

namespace Portal.Kernel;

/// <summary>Who is asking: every query and command of the export service is scoped by it.</summary>
public sealed record ExportUser(string Id, string Name, string? Email, bool IsAdmin)
{
    /// <summary>The claim type of Entra ID's object id.</summary>
    public const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    /// <summary>A team the sign-in made the user a member of, by name; one claim a team.</summary>
    public const string TeamClaim = "portal_team";

    /// <summary>A team the sign-in made the user a maintainer of, by name; one claim a team.</summary>
    public const string MaintainedTeamClaim = "portal_team_maintainer";

    /// <summary>The teams the user is a member of, by name (a maintainer is a member too).</summary>
    public IReadOnlyList<string> Teams { get; init; } = [];

    /// <summary>The teams whose resources the user may change, delete and share.</summary>
    public IReadOnlyList<string> MaintainedTeams { get; init; } = [];

    /// <summary>Two users are equal when everything about them is, their teams compared name by name.</summary>
    public bool Equals(ExportUser? other) =>
        other is not null && Id == other.Id && Name == other.Name && Email == other.Email && IsAdmin == other.IsAdmin
        && Teams.SequenceEqual(other.Teams, StringComparer.Ordinal) && MaintainedTeams.SequenceEqual(other.MaintainedTeams, StringComparer.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Id, Name, Email, IsAdmin, Teams.Count, MaintainedTeams.Count);

    public bool IsMemberOf(string? team) => team is not null && Teams.Contains(team, StringComparer.Ordinal);

    public bool Maintains(string? team) => team is not null && MaintainedTeams.Contains(team, StringComparer.Ordinal);

    /// <summary>
    /// Reads the user from a signed-in principal: id from <c>oid</c> (falling back to the name identifier),
    /// admin when the principal is in <paramref name="adminRole"/>, teams from its <see cref="TeamClaim"/>s.
    /// </summary>
    public static ExportUser FromPrincipal(ClaimsPrincipal principal, string adminRole)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var id = principal.FindFirstValue(ObjectIdClaim)
            ?? principal.FindFirstValue("oid")
            ?? principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? throw new InvalidOperationException("The signed-in user has neither an oid nor a name identifier claim.");
        var name = principal.FindFirstValue("name") ?? principal.Identity?.Name ?? id;
        var email = principal.FindFirstValue(ClaimTypes.Email) ?? principal.FindFirstValue("email") ?? principal.FindFirstValue("preferred_username");
        return new ExportUser(id, name, email, principal.IsInRole(adminRole))
        {
            Teams = [.. principal.FindAll(TeamClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal)],
            MaintainedTeams = [.. principal.FindAll(MaintainedTeamClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal)],
        };
    }
}
