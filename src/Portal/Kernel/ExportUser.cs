using System.Security.Claims;

namespace Portal.Kernel;

/// <summary>Who is asking: every query and command of the export service is scoped by it.</summary>
public sealed record ExportUser(string Id, string Name, string? Email, bool IsAdmin)
{
    /// <summary>The claim type of Entra ID's object id.</summary>
    public const string ObjectIdClaim = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    /// <summary>
    /// Reads the user from a signed-in principal: id from <c>oid</c> (falling back to the name identifier),
    /// admin when the principal is in <paramref name="adminRole"/>.
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
        return new ExportUser(id, name, email, principal.IsInRole(adminRole));
    }
}
