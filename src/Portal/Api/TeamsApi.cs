using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Api;

/// <summary><c>GET /api/v1/teams</c>: the caller's teams, as their latest sign-in gave them.</summary>
public static class TeamsApi
{
    public static RouteGroupBuilder MapTeamsApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/teams", (HttpContext context, IOptions<PortalAuthorizationOptions> authorization) =>
                new TeamsResource(TeamResource.Of(ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole))))
            .WithTags("Teams")
            .WithName("GetTeams")
            .WithSummary("The caller's teams")
            .WithDescription("The teams the caller is a member of, with maintainer true where they may also change, delete and share " +
                "the team's resources. A personal access token has the teams of its owner's latest sign-in: a sign-in without " +
                "a team takes it from every token at once.");
        return api;
    }
}

/// <summary>The caller's teams.</summary>
public sealed record TeamsResource([property: JsonPropertyName("teams")] IReadOnlyList<TeamResource> Teams);

/// <summary>A team the caller is a member of.</summary>
public sealed record TeamResource(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("maintainer")] bool Maintainer)
{
    /// <summary>The teams of <paramref name="user"/>, by name.</summary>
    public static IReadOnlyList<TeamResource> Of(ExportUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return [.. user.Teams.Union(user.MaintainedTeams, StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(team => new TeamResource(team, user.Maintains(team)))];
    }
}
