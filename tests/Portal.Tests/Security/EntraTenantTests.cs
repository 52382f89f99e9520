using System.Globalization;
using System.Security.Claims;
using Portal.Security;

namespace Portal.Tests.Security;

/// <summary>Entra sign-ins are checked against the one configured tenant by their <c>tid</c>.</summary>
public class EntraTenantTests
{
    private const string Pinned = "7d1c0b5e-0000-4000-8000-00000000a11d";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static ClaimsPrincipal EntraSession(string? tid)
    {
        List<Claim> claims =
        [
            new("http://schemas.microsoft.com/identity/claims/objectidentifier", "oid-1"),
            new("name", "Entra User"),
            new(PortalClaims.SessionExpires, Now.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ];
        if (tid is not null)
        {
            claims.Add(new("http://schemas.microsoft.com/identity/claims/tenantid", tid));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "AuthenticationTypes.Federation"));
    }

    private static SignedInUserValidator Validator(string tenant) => new(
        new FixedTimeProvider(Now),
        new StaticOptionsMonitor<PortalAuthorizationOptions>(new PortalAuthorizationOptions()),
        developmentUsers: null,
        tenant: new EntraTenant(tenant));

    [Fact]
    public void ASessionOfThePinnedTenantStays() =>
        Assert.Null(Validator(Pinned).Check(EntraSession(Pinned.ToUpperInvariant())));

    [Fact]
    public void ASessionOfAnotherTenantIsEnded() =>
        Assert.Equal("the sign-in is from tenant 11111111-2222-3333-4444-555555555555, not the portal's",
            Validator(Pinned).Check(EntraSession("11111111-2222-3333-4444-555555555555")));

    [Fact]
    public void ASessionWithoutATenantIdIsEnded() =>
        Assert.Equal("the sign-in carries no tenant id (tid)", Validator(Pinned).Check(EntraSession(null)));

    [Theory]
    [InlineData("common", true)]
    [InlineData("Organizations", true)]
    [InlineData("consumers", true)]
    [InlineData(Pinned, false)]
    [InlineData("contoso.onmicrosoft.com", false)]
    public void TellsMultiTenantAuthorities(string tenant, bool multi)
    {
        Assert.Equal(multi, EntraTenant.IsMultiTenant(tenant));
        // Only a tenant id pins: a name cannot be compared with tid (and the start refuses it outside Development).
        Assert.Equal(tenant == Pinned, new EntraTenant(tenant).Id is not null);
    }
}
