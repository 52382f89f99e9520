using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Kernel;

namespace Portal.Security;

/// <summary>
/// The one place that decides who may read, change and share an export, a schedule, a destination or a webhook:
/// <list type="bullet">
/// <item>its owner, while it is theirs alone (no team);</item>
/// <item>a member of its team reads it; a maintainer of its team also changes, deletes and shares it;</item>
/// <item>a colleague it is shared with reads it (exports only);</item>
/// <item>an admin does everything.</item>
/// </list>
/// Lists filter with <see cref="Readable{T}"/> and <see cref="ReadableExports"/> in the database; single resources are
/// checked with <see cref="CanRead"/>, <see cref="CanChange"/> and <see cref="CanShare"/>, or through
/// <see cref="IAuthorizationService"/> with <see cref="ResourceOperations"/> (<see cref="ResourceAuthorizationHandler"/>).
/// What the user is a member of comes from their sign-in (<see cref="ExportUser.Teams"/>).
/// </summary>
public static class ResourceAccess
{
    /// <summary>Whether <paramref name="user"/> may see <paramref name="resource"/>; shares are the caller's to add.</summary>
    public static bool CanRead(ExportUser user, IOwnedResource resource)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(resource);
        return user.IsAdmin || user.IsMemberOf(resource.Team) || (resource.Team is null && resource.OwnerId == user.Id);
    }

    /// <summary>Whether <paramref name="user"/> may change or delete <paramref name="resource"/>.</summary>
    public static bool CanChange(ExportUser user, IOwnedResource resource)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(resource);
        return user.IsAdmin || (resource.Team is null ? resource.OwnerId == user.Id : user.Maintains(resource.Team));
    }

    /// <summary>
    /// Whether <paramref name="user"/> may cancel or delete <paramref name="export"/>: who may change it, and the member
    /// who asked for a team's export.
    /// </summary>
    public static bool CanCancel(ExportUser user, IOwnedResource export)
    {
        ArgumentNullException.ThrowIfNull(export);
        return CanChange(user, export) || (export.OwnerId == user.Id && (export.Team is null || user.IsMemberOf(export.Team)));
    }

    /// <summary>Whether <paramref name="user"/> may share <paramref name="export"/> with colleagues or take a share back.</summary>
    public static bool CanShare(ExportUser user, IOwnedResource export) => CanCancel(user, export);

    /// <summary>Whether <paramref name="user"/> may give a new or changed resource to <paramref name="team"/> (null: their own).</summary>
    public static bool CanAssignTo(ExportUser user, string? team)
    {
        ArgumentNullException.ThrowIfNull(user);
        return team is null || user.IsMemberOf(team);
    }

    /// <summary>
    /// Whether <paramref name="user"/> may act on <paramref name="resource"/> (null: there is none): <see cref="Access.NotFound"/>
    /// for one they may not read (the caller answers as for a resource that does not exist), <see cref="Access.ReadOnly"/>
    /// for one they read but may not change (a member of its team), else <see cref="Access.Change"/>.
    /// </summary>
    public static Access Decide(ExportUser user, IOwnedResource? resource) =>
        resource is null || !CanRead(user, resource) ? Access.NotFound
        : CanChange(user, resource) ? Access.Change
        : Access.ReadOnly;

    /// <summary>
    /// Whether <paramref name="used"/> (a destination or a webhook) belongs with <paramref name="user"/> (an export or a
    /// schedule): a team's resource uses its own team's only, a personal one its owner's personal ones only. Who set them up
    /// does not matter for a team's, so they keep working after the author leaves.
    /// </summary>
    public static bool BelongsWith(IOwnedResource user, IOwnedResource used)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(used);
        return user.Team is null ? used.Team is null && used.OwnerId == user.OwnerId : string.Equals(used.Team, user.Team, StringComparison.Ordinal);
    }

    /// <summary>The resources of <paramref name="resources"/> that a resource of <paramref name="ownerId"/> and <paramref name="team"/> may use (<see cref="BelongsWith"/>).</summary>
    public static IQueryable<T> UsableBy<T>(IQueryable<T> resources, string ownerId, string? team)
        where T : class, IOwnedResource =>
        team is null ? resources.Where(r => r.Team == null && r.OwnerId == ownerId) : resources.Where(r => r.Team == team);

    /// <summary>The resources of <paramref name="resources"/> that <paramref name="user"/> may see (for exports use <see cref="ReadableExports"/>).</summary>
    public static IQueryable<T> Readable<T>(IQueryable<T> resources, ExportUser user)
        where T : class, IOwnedResource
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.IsAdmin)
        {
            return resources;
        }
        var id = user.Id;
        var teams = user.Teams.ToArray();
        return resources.Where(r => (r.Team == null && r.OwnerId == id) || (r.Team != null && teams.Contains(r.Team)));
    }

    /// <summary>The exports <paramref name="user"/> may see: their own, their teams', those shared with them; an admin's are everyone's.</summary>
    public static IQueryable<ExportRequest> ReadableExports(PortalDbContext db, ExportUser user)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        if (user.IsAdmin)
        {
            return db.ExportRequests;
        }
        var id = user.Id;
        var teams = user.Teams.ToArray();
        var shares = db.ExportShares;
        return db.ExportRequests.Where(e =>
            (e.Team == null && e.OwnerId == id)
            || (e.Team != null && teams.Contains(e.Team))
            || shares.Any(s => s.ExportId == e.Id && s.UserId == id));
    }

    /// <summary>The exports shared with <paramref name="user"/> ("Shared with me").</summary>
    public static IQueryable<ExportRequest> SharedWith(PortalDbContext db, ExportUser user)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        var id = user.Id;
        var shares = db.ExportShares;
        return db.ExportRequests.Where(e => shares.Any(s => s.ExportId == e.Id && s.UserId == id));
    }

    /// <summary>Whether <paramref name="export"/> is shared with <paramref name="user"/>, read now from the database.</summary>
    public static Task<bool> IsSharedWithAsync(PortalDbContext db, ExportUser user, Guid export, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(user);
        return db.ExportShares.AnyAsync(s => s.ExportId == export && s.UserId == user.Id, cancellationToken);
    }
}

/// <summary>What <see cref="ResourceAccess.Decide"/> allows a user on one resource.</summary>
public enum Access
{
    /// <summary>Not theirs to see: answered as "not found" (404) and audited.</summary>
    NotFound,

    /// <summary>They read it but may not change it (a member of its team): 403 "only the team's maintainers can change this".</summary>
    ReadOnly,

    Change,
}

/// <summary>The operations <see cref="ResourceAuthorizationHandler"/> decides, for <see cref="IAuthorizationService"/>.</summary>
public static class ResourceOperations
{
    public static readonly OperationAuthorizationRequirement Read = new() { Name = nameof(Read) };

    public static readonly OperationAuthorizationRequirement Change = new() { Name = nameof(Change) };

    public static readonly OperationAuthorizationRequirement Share = new() { Name = nameof(Share) };
}

/// <summary>
/// <see cref="ResourceAccess"/> as a resource-based authorization handler: <c>AuthorizeAsync(principal, resource,
/// ResourceOperations.Read)</c>. An export shared with the principal is read from the database on every check, so an
/// unshare takes effect on the next request, on every instance.
/// </summary>
public sealed class ResourceAuthorizationHandler(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<PortalAuthorizationOptions> authorization)
    : AuthorizationHandler<OperationAuthorizationRequirement, IOwnedResource>
{
    protected override async Task HandleRequirementAsync(
        AuthorizationHandlerContext context, OperationAuthorizationRequirement requirement, IOwnedResource resource)
    {
        if (context.User.Identity?.IsAuthenticated != true)
        {
            return;
        }
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        var allowed = requirement.Name switch
        {
            nameof(ResourceOperations.Read) => ResourceAccess.CanRead(user, resource)
                || (resource is ExportRequest export && await IsSharedAsync(user, export.Id)),
            nameof(ResourceOperations.Change) => resource is ExportRequest cancellable
                ? ResourceAccess.CanCancel(user, cancellable)
                : ResourceAccess.CanChange(user, resource),
            nameof(ResourceOperations.Share) => resource is ExportRequest shared && ResourceAccess.CanShare(user, shared),
            _ => false,
        };
        if (allowed)
        {
            context.Succeed(requirement);
        }
    }

    private async Task<bool> IsSharedAsync(ExportUser user, Guid export)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        return await ResourceAccess.IsSharedWithAsync(db, user, export, CancellationToken.None);
    }
}

/// <summary>Reads a principal's teams for the services that are handed a principal rather than an <see cref="ExportUser"/>.</summary>
public static class TeamClaims
{
    /// <summary>Adds one <see cref="ExportUser.TeamClaim"/> per team and one <see cref="ExportUser.MaintainedTeamClaim"/> per maintained team.</summary>
    public static void Add(ICollection<Claim> claims, IEnumerable<string> teams, IEnumerable<string> maintainedTeams)
    {
        ArgumentNullException.ThrowIfNull(claims);
        foreach (var team in teams)
        {
            claims.Add(new Claim(ExportUser.TeamClaim, team));
        }
        foreach (var team in maintainedTeams)
        {
            claims.Add(new Claim(ExportUser.MaintainedTeamClaim, team));
        }
    }
}
