using System.Security.Claims;
using Portal.Api;
using Portal.Security;

namespace Portal.Tests.Security;

/// <summary>
/// Which Entra bearer tokens the API admits: delegated tokens by their scope, app-only tokens by their app role, never an
/// ID token, never another tenant's.
/// </summary>
public class ApiAdmissionTests
{
    private const string Tenant = "7d1c0b5e-0000-4000-8000-00000000a11d";
    private static readonly ApiOptions Api = new() { Scope = "Exports.ReadWrite", AppRole = "Exports.Api" };
    private static readonly EntraTenant Pinned = new(Tenant);

    private static ClaimsIdentity Token(params (string Type, string Value)[] claims) =>
        new([new Claim("tid", Tenant), .. claims.Select(c => new Claim(c.Type, c.Value))], "EntraBearer");

    [Fact]
    public void AnAppTokenWithTheRoleIsAdmitted() =>
        Assert.True(ApiExtensions.Admits(Token(("idtyp", "app"), ("roles", "Exports.Api")), Api, Pinned));

    [Fact]
    public void AUserTokenWithTheRoleButNoScopeIsRefused() =>
        Assert.False(ApiExtensions.Admits(Token(("idtyp", "user"), ("roles", "Exports.Api")), Api, Pinned));

    [Fact]
    public void AnIdTokenCarryingTheRoleIsRefused() =>
        Assert.False(ApiExtensions.Admits(Token(("roles", "Exports.Api"), ("nonce", "n-1"), ("aud", "portal-client-id")), Api, Pinned));

    [Fact]
    public void AnAppClaimWithADelegatedScopeGoesByTheScope()
    {
        Assert.False(ApiExtensions.Admits(Token(("idtyp", "app"), ("scp", "Other.Read"), ("roles", "Exports.Api")), Api, Pinned));
        Assert.True(ApiExtensions.Admits(Token(("scp", "User.Read Exports.ReadWrite")), Api, Pinned));
    }

    [Fact]
    public void ADelegatedTokenWithANonceIsRefused() =>
        Assert.False(ApiExtensions.Admits(Token(("scp", "Exports.ReadWrite"), ("nonce", "n-1")), Api, Pinned));

    [Fact]
    public void ATokenOfAnotherTenantIsRefused()
    {
        var foreign = new ClaimsIdentity([new Claim("tid", Guid.NewGuid().ToString()), new Claim("scp", "Exports.ReadWrite")], "EntraBearer");

        Assert.False(ApiExtensions.Admits(foreign, Api, Pinned));
    }

    [Fact]
    public void APersonalAccessTokenIsAdmittedAsItIs() =>
        Assert.True(ApiExtensions.Admits(new ClaimsIdentity([], AccessTokenAuthenticationHandler.SchemeName), Api, Pinned));
}
