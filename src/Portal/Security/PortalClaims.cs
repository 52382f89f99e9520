using System.Security.Claims;

namespace Portal.Security;

/// <summary>Claim types and authentication types the portal itself issues.</summary>
public static class PortalClaims
{
    /// <summary>When the sign-in ends, in Unix seconds; checked again by open pages.</summary>
    public const string SessionExpires = "portal_session_expires";

    /// <summary>The authentication type of a principal made by the development sign-in.</summary>
    public const string DevelopmentAuthenticationType = "DevelopmentSignIn";

    /// <summary>True when the principal comes from the development sign-in rather than Entra ID.</summary>
    public static bool IsDevelopmentSignIn(this ClaimsPrincipal principal) =>
        principal.Identities.Any(i => i.IsAuthenticated && i.AuthenticationType == DevelopmentAuthenticationType);

    /// <summary>The id the portal knows the user by (Entra object id, else name identifier), for the audit log.</summary>
    public static string GetUserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(Portal.Kernel.ExportUser.ObjectIdClaim)
            ?? principal.FindFirstValue("oid")
            ?? principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ?? "anonymous";

    public static DateTimeOffset? GetSessionExpiry(this ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirstValue(SessionExpires), out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
}
