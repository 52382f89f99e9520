using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// Decides whether a signed-in principal is still good: asked by the cookie on every request and by open pages
/// every <see cref="SecurityOptions.RevalidationInterval"/>.
/// </summary>
public sealed class SignedInUserValidator(
    TimeProvider timeProvider,
    IOptionsMonitor<PortalAuthorizationOptions> authorization,
    DevelopmentUserStore? developmentUsers = null,
    EntraTenant? tenant = null)
{
    /// <summary>Null when the principal is still valid, else why it is not (for the audit log).</summary>
    public string? Check(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        // The cookie handler enforces its own expiry on requests; an open page has no cookie to look at.
        var expires = principal.GetSessionExpiry();
        if (expires is null)
        {
            return "the session has no expiry";
        }
        if (expires <= timeProvider.GetUtcNow())
        {
            return "the session expired";
        }

        if (principal.IsDevelopmentSignIn())
        {
            var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
            var user = id is null ? null : developmentUsers?.Find(id);
            if (user is null)
            {
                return "the user is no longer known";
            }
            if (user.IsAdmin != principal.IsInRole(authorization.CurrentValue.AdminRole))
            {
                return user.IsAdmin ? "the admin role was granted" : "the admin role was withdrawn";
            }
        }

        if (tenant is not null && principal.Identity is ClaimsIdentity identity && tenant.Check(identity) is { } foreign)
        {
            return foreign;
        }

        // Entra ID roles live in the token the session began with: a change reaches the portal when the session
        // ends and the user signs in again (silently, with single sign-on), at most SessionLifetime later.
        return null;
    }
}
