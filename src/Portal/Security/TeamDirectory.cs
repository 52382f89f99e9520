using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Security;

/// <summary>The teams one sign-in makes a user a member and a maintainer of (a maintainer is also a member).</summary>
public sealed record TeamMembership(IReadOnlyList<string> Teams, IReadOnlyList<string> MaintainedTeams)
{
    public static readonly TeamMembership None = new([], []);
}

/// <summary>
/// Where a user's teams come from: an Entra sign-in's <c>groups</c> claim through <c>Teams:Groups</c>, the names typed
/// on the development sign-in, and <c>Teams:Maintainers</c> (by group, email or user id). The result becomes the
/// session's <see cref="ExportUser.TeamClaim"/>s, which <see cref="PortalUsers.RecordSignInAsync(ClaimsPrincipal, CancellationToken)"/>
/// stores for the user's personal access tokens.
/// </summary>
public sealed partial class TeamDirectory(IOptionsMonitor<TeamsOptions> options, ILogger<TeamDirectory> logger)
{
    /// <summary>The claim of Entra's group object ids.</summary>
    public const string GroupsClaim = "groups";

    /// <summary>
    /// Set on a session whose sign-in had more groups than the token could carry: its teams are unknown, and the pages
    /// ask the user to have group claims configured.
    /// </summary>
    public const string OverageClaim = "portal_teams_overage";

    /// <summary>The teams of a user in <paramref name="groupIds"/>, plus those <c>Teams:Maintainers</c> names them a maintainer of.</summary>
    public TeamMembership FromGroups(IEnumerable<string> groupIds, string userId, string? email)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var groups = groupIds.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var mapped = options.CurrentValue.Groups
            .Where(g => groups.Contains(g.Key) && !string.IsNullOrWhiteSpace(g.Value))
            .Select(g => g.Value.Trim());
        return WithMaintainers(mapped, [.. groups, userId, .. email is null ? Array.Empty<string>() : [email]]);
    }

    /// <summary>The teams typed on the development sign-in, plus those <c>Teams:Maintainers</c> names the user a maintainer of.</summary>
    public TeamMembership FromNames(IEnumerable<string> teams, string userId, string? email)
    {
        ArgumentNullException.ThrowIfNull(teams);
        return WithMaintainers(teams.Select(t => t.Trim()), [userId, .. email is null ? Array.Empty<string>() : [email]]);
    }

    /// <summary>
    /// True when the sign-in's token says the user has more groups than it carries (<c>_claim_names</c> naming
    /// <c>groups</c>, or <c>hasgroups</c>): past 200 groups in a JWT, Entra sends a link to Microsoft Graph instead.
    /// </summary>
    public static bool HasGroupOverage(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.Claims.Any(c =>
            (c.Type == "_claim_names" && c.Value.Contains("\"groups\"", StringComparison.Ordinal))
            || (c.Type == "hasgroups" && string.Equals(c.Value, "true", StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// Adds the teams of an Entra sign-in (or access token) to its <paramref name="identity"/>; on a group overage no
    /// team from groups, the <see cref="OverageClaim"/> and, with <paramref name="logOverage"/>, a warning in the log.
    /// </summary>
    public void AddEntraTeams(ClaimsPrincipal principal, ClaimsIdentity identity, bool logOverage = true)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(identity);
        var userId = principal.GetUserId();
        var email = principal.FindFirstValue(ClaimTypes.Email) ?? principal.FindFirstValue("email") ?? principal.FindFirstValue("preferred_username");
        var overage = HasGroupOverage(principal);
        var groups = overage ? [] : principal.FindAll(GroupsClaim).Select(c => c.Value);
        var membership = FromGroups(groups, userId, email);
        var claims = new List<Claim>();
        TeamClaims.Add(claims, membership.Teams, membership.MaintainedTeams);
        if (overage)
        {
            claims.Add(new Claim(OverageClaim, "true"));
            if (logOverage)
            {
                LogGroupOverage(userId);
            }
        }
        identity.AddClaims(claims);
    }

    /// <summary>
    /// Reads the comma-separated team names of the development sign-in: trimmed, empty entries dropped, duplicates
    /// once. Null with <paramref name="error"/> when a name is too long or has a line break.
    /// </summary>
    public static IReadOnlyList<string>? ParseTypedTeams(string? text, out string? error)
    {
        error = null;
        var teams = new List<string>();
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (TeamsOptionsValidator.TeamNameProblem(entry) is { } problem)
            {
                error = $"'{Shorten(entry)}' {problem}";
                return null;
            }
            if (!teams.Contains(entry, StringComparer.Ordinal))
            {
                teams.Add(entry);
            }
        }
        return teams;
    }

    private TeamMembership WithMaintainers(IEnumerable<string> memberOf, IReadOnlyCollection<string> identifiers)
    {
        var ids = identifiers.Where(i => !string.IsNullOrWhiteSpace(i)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var maintained = options.CurrentValue.Maintainers
            .Where(m => !string.IsNullOrWhiteSpace(m.Key) && m.Value is not null && m.Value.Any(entry => ids.Contains(entry.Trim())))
            .Select(m => m.Key.Trim())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var teams = memberOf.Concat(maintained)
            .Where(t => t.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new TeamMembership(teams, maintained);
    }

    private static string Shorten(string entry)
    {
        var oneLine = string.Join(' ', entry.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return oneLine.Length <= 40 ? oneLine : oneLine[..40] + "…";
    }

    [LoggerMessage(EventId = 9251, EventName = "TeamsGroupOverage", Level = LogLevel.Warning,
        Message = "The sign-in of {UserId} carried too many groups for its token (group overage): it gets no teams from groups. " +
            "Have the app registration emit only the groups assigned to the application (Token configuration, groups claim).")]
    private partial void LogGroupOverage(string userId);
}
