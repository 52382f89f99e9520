using System.Globalization;
using System.Security.Claims;
using Portal.Security;

namespace Portal.Tests.Security;

public class SignedInUserValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private readonly FixedTimeProvider _time = new(Now);
    private readonly DevelopmentUserStore _users = new(new StaticOptionsMonitor<SecurityOptions>(new SecurityOptions()));
    private readonly StaticOptionsMonitor<PortalAuthorizationOptions> _authorization = new(new PortalAuthorizationOptions());

    private SignedInUserValidator Validator => new(_time, _authorization, _users);

    private ClaimsPrincipal SignedIn(DevelopmentUser user, TimeSpan lifetime)
    {
        var principal = DevelopmentUserStore.CreatePrincipal(user, _authorization.CurrentValue.AdminRole);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(PortalClaims.SessionExpires,
            (Now + lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        return principal;
    }

    [Fact]
    public void AcceptsAnUnchangedUserInsideTheSession()
    {
        var principal = SignedIn(_users.SignIn("Ada", isAdmin: true), TimeSpan.FromHours(1));

        Assert.Null(Validator.Check(principal));
        Assert.Null(Validator.Check(new ClaimsPrincipal(new ClaimsIdentity())));
    }

    [Fact]
    public void RefusesAWithdrawnAdminRole()
    {
        var ada = _users.SignIn("Ada", isAdmin: true);
        var principal = SignedIn(ada, TimeSpan.FromHours(1));

        _users.SetAdmin(ada.Id, isAdmin: false);

        Assert.Equal("the admin role was withdrawn", Validator.Check(principal));
    }

    [Fact]
    public void RefusesARemovedUser()
    {
        var bob = _users.SignIn("Bob", isAdmin: false);
        var principal = SignedIn(bob, TimeSpan.FromHours(1));

        _users.Remove(bob.Id);

        Assert.Equal("the user is no longer known", Validator.Check(principal));
    }

    [Fact]
    public void RefusesAnEndedSessionEvenForEntraUsers()
    {
        var entra = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("oid", "0f8fad5b-d9cb-469f-a165-70867728950e"),
            new Claim(PortalClaims.SessionExpires, (Now + TimeSpan.FromMinutes(5)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ], "AuthenticationTypes.Federation"));
        Assert.Null(Validator.Check(entra));

        _time.Now += TimeSpan.FromMinutes(5);

        Assert.Equal("the session expired", Validator.Check(entra));
        Assert.Equal("the session has no expiry", Validator.Check(new ClaimsPrincipal(new ClaimsIdentity([new Claim("oid", "x")], "Federation"))));
    }
}
