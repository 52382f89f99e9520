using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Security;

/// <summary>
/// Section <c>Teams</c>: which Entra groups make a user a member of which team, and who maintains each team. A
/// user's teams are what their latest sign-in said (<see cref="TeamDirectory"/>).
/// </summary>
public sealed class TeamsOptions
{
    public const string SectionName = "Teams";

    /// <summary>Group object id → team name; several groups may name one team. Groups not listed are ignored.</summary>
    public Dictionary<string, string> Groups { get; set; } = [];

    /// <summary>
    /// Team name → who maintains it: group object ids, user emails or user ids (each compared ignoring case). A
    /// maintainer is also a member.
    /// </summary>
    public Dictionary<string, List<string>> Maintainers { get; set; } = [];
}

/// <summary>
/// Checks <see cref="TeamsOptions"/> at start. With Entra ID (<paramref name="requireGroupForMaintainedTeam"/>) a team in
/// <c>Teams:Maintainers</c> must be one a group maps to, as a typing slip would otherwise make a team nobody sees;
/// the development sign-in takes team names as typed, so there it need not.
/// </summary>
public sealed class TeamsOptionsValidator(bool requireGroupForMaintainedTeam) : IValidateOptions<TeamsOptions>
{
    public ValidateOptionsResult Validate(string? name, TeamsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        foreach (var (group, team) in options.Groups)
        {
            if (TeamNameProblem(team) is { } problem)
            {
                failures.Add($"Teams:Groups:{group} {problem}");
            }
        }
        var mapped = options.Groups.Values.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var (team, maintainers) in options.Maintainers)
        {
            if (TeamNameProblem(team) is { } problem)
            {
                failures.Add($"Teams:Maintainers: the team '{team}' {problem}");
                continue;
            }
            if (requireGroupForMaintainedTeam && !mapped.Contains(team.Trim()))
            {
                failures.Add($"Teams:Maintainers:{team} names a team that no group in Teams:Groups maps to: map a group to '{team}' or correct the name.");
            }
            if (maintainers is null || maintainers.Count == 0 || maintainers.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"Teams:Maintainers:{team} must list group object ids, user emails or user ids, none of them empty.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why <paramref name="team"/> cannot be a team's name, or null.</summary>
    internal static string? TeamNameProblem(string? team)
    {
        if (string.IsNullOrWhiteSpace(team))
        {
            return "must name a team.";
        }
        if (team.Trim().Length > TeamRules.MaxNameLength)
        {
            return $"is a team name longer than {TeamRules.MaxNameLength} characters.";
        }
        return team.Any(char.IsControl) ? "is a team name with a line break or another control character." : null;
    }
}
