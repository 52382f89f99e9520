using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// Makes <c>IsInRole(AdminRole)</c> true when the configured admin role arrives as an Entra app role
/// (<c>roles</c>, or its mapped role claim) or as a group object id (<c>groups</c>), whatever claim type the
/// identity uses for roles.
/// </summary>
public sealed class AdminRoleClaimsTransformation(IOptionsMonitor<PortalAuthorizationOptions> options) : IClaimsTransformation
{
    private static readonly string[] SourceClaimTypes = ["roles", "role", ClaimTypes.Role, "groups"];

    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        var adminRole = options.CurrentValue.AdminRole;
        if (principal.Identity is not ClaimsIdentity { IsAuthenticated: true } identity || principal.IsInRole(adminRole))
        {
            return Task.FromResult(principal);
        }

        if (!HasAdminClaim(principal, adminRole))
        {
            return Task.FromResult(principal);
        }

        // Transformations may run more than once per request: change a copy, never the authenticated principal.
        var copy = new ClaimsPrincipal(principal.Identities.Select(i => i.Clone()));
        ((ClaimsIdentity)copy.Identity!).AddClaim(new Claim(identity.RoleClaimType, adminRole));
        return Task.FromResult(copy);
    }

    /// <summary>True when any role or group claim of <paramref name="principal"/> names <paramref name="adminRole"/>.</summary>
    public static bool HasAdminClaim(ClaimsPrincipal principal, string adminRole) =>
        principal.IsInRole(adminRole)
        || principal.Claims.Any(c =>
            SourceClaimTypes.Contains(c.Type, StringComparer.Ordinal) && string.Equals(c.Value, adminRole, StringComparison.Ordinal));
}
