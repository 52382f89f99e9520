using System.Security.Claims;
using Portal.Security;

namespace Portal.Tests.Security;

public class AdminRoleClaimsTransformationTests
{
    private readonly AdminRoleClaimsTransformation _transformation =
        new(new StaticOptionsMonitor<PortalAuthorizationOptions>(new PortalAuthorizationOptions { AdminRole = "Portal.Admin" }));

    private static ClaimsPrincipal Entra(params Claim[] claims) =>
        new(new ClaimsIdentity(claims, "AuthenticationTypes.Federation", "name", "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"));

    [Theory]
    [InlineData("roles")]
    [InlineData("groups")]
    [InlineData(ClaimTypes.Role)]
    public async Task AnAppRoleOrGroupNamedInConfigurationMakesAnAdmin(string claimType)
    {
        var principal = Entra(new Claim("oid", "u1"), new Claim(claimType, "Portal.Admin"));

        var transformed = await _transformation.TransformAsync(principal);

        Assert.True(transformed.IsInRole("Portal.Admin"));
    }

    [Fact]
    public async Task OtherRolesAndGroupsDoNot()
    {
        var principal = Entra(new Claim("oid", "u1"), new Claim("roles", "Portal.Reader"), new Claim("groups", "portal.admin"));

        var transformed = await _transformation.TransformAsync(principal);

        Assert.False(transformed.IsInRole("Portal.Admin"));
        Assert.Same(principal, transformed);
    }

    [Fact]
    public async Task RunningTwiceAddsTheRoleOnce()
    {
        var principal = Entra(new Claim("oid", "u1"), new Claim("groups", "Portal.Admin"));

        var once = await _transformation.TransformAsync(principal);
        var twice = await _transformation.TransformAsync(once);

        Assert.Single(twice.FindAll(((ClaimsIdentity)twice.Identity!).RoleClaimType));
        Assert.False(principal.IsInRole("Portal.Admin"));
    }
}
