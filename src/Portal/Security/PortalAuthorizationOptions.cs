namespace Portal.Security;

/// <summary>Authorization settings, section <c>Authorization</c>.</summary>
public sealed class PortalAuthorizationOptions
{
    public const string SectionName = "Authorization";

    /// <summary>The policy that admin pages, admin service calls and the admin hub group require.</summary>
    public const string AdminPolicy = "Admin";

    /// <summary>The role (Entra app role or group claim value) that makes a user an admin.</summary>
    public string AdminRole { get; set; } = "Portal.Admin";
}
