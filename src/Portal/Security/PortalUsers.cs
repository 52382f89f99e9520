using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Kernel;

namespace Portal.Security;

/// <summary>
/// Records every interactive sign-in in <see cref="PortalUser"/>: when, and whether it carried the admin role. Personal
/// access tokens are checked against that row, so a sign-in without the role takes admin from every token at once.
/// </summary>
public sealed class PortalUsers(
    IDbContextFactory<PortalDbContext> dbFactory,
    TimeProvider time,
    IOptionsMonitor<PortalAuthorizationOptions> authorization)
{
    /// <summary>Records a sign-in of <paramref name="principal"/>, whose roles are as the sign-in gave them.</summary>
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
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            var updated = await db.PortalUsers.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u
                .SetProperty(x => x.Name, name)
                .SetProperty(x => x.Email, email)
                .SetProperty(x => x.LastSignInAt, now)
                .SetProperty(x => x.LastSignInWasAdmin, user.IsAdmin), cancellationToken);
            if (updated > 0)
            {
                return;
            }
            db.PortalUsers.Add(new PortalUser { Id = user.Id, Name = name, Email = email, LastSignInAt = now, LastSignInWasAdmin = user.IsAdmin });
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

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}
