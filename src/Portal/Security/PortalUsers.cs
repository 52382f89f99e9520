using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Kernel;

namespace Portal.Security;

/// <summary>
/// Records every interactive sign-in in <see cref="PortalUser"/>: when, whether it carried the admin role, and the teams
/// it made the user a member and a maintainer of. Personal access tokens are checked against that row, so a sign-in
/// without the role, or without a team, takes it from every token at once.
/// </summary>
public sealed class PortalUsers(
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider time,
    IOptionsMonitor<PortalAuthorizationOptions> authorization)
{
    /// <summary>Records a sign-in of <paramref name="principal"/>, whose roles and team claims are as the sign-in gave them.</summary>
    public Task RecordSignInAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var adminRole = authorization.CurrentValue.AdminRole;
        var user = ExportUser.FromPrincipal(principal, adminRole);
        return RecordSignInAsync(user with { IsAdmin = AdminRoleClaimsTransformation.HasAdminClaim(principal, adminRole) }, cancellationToken);
    }

    /// <summary>Records a sign-in of <paramref name="user"/> now.</summary>
    public async Task RecordSignInAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        var name = Truncate(user.Name, 200);
        var email = user.Email is null ? null : Truncate(user.Email, 320);
        var maintained = JoinWithin(user.MaintainedTeams);
        // A maintainer is a member, whatever claims the principal came with.
        var teams = JoinWithin(user.Teams.Union(user.MaintainedTeams, StringComparer.Ordinal));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            var updated = await db.PortalUsers.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u
                .SetProperty(x => x.Name, name)
                .SetProperty(x => x.Email, email)
                .SetProperty(x => x.LastSignInAt, now)
                .SetProperty(x => x.LastSignInWasAdmin, user.IsAdmin)
                .SetProperty(x => x.Teams, teams)
                .SetProperty(x => x.MaintainedTeams, maintained), cancellationToken);
            if (updated > 0)
            {
                return;
            }
            db.PortalUsers.Add(new PortalUser
            {
                Id = user.Id,
                Name = name,
                Email = email,
                LastSignInAt = now,
                LastSignInWasAdmin = user.IsAdmin,
                Teams = teams,
                MaintainedTeams = maintained,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Another sign-in of the same user inserted the row first: update it instead.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>The user's row, or null when they have never signed in.</summary>
    public async Task<PortalUser?> FindAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.PortalUsers.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, cancellationToken);
    }

    /// <summary>The names, one a line, as many whole names as the column holds (a name is at most 100 characters).</summary>
    private static string JoinWithin(IEnumerable<string> teams)
    {
        var kept = new List<string>();
        var length = 0;
        foreach (var team in teams.Where(t => t.Length is > 0 and <= TeamRules.MaxNameLength).Distinct(StringComparer.Ordinal))
        {
            length += team.Length + (kept.Count > 0 ? 1 : 0);
            if (length > TeamRules.MaxStoredListLength)
            {
                break;
            }
            kept.Add(team);
        }
        return TeamRules.Join(kept);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
