using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Tests.Security;

public class PortalAuthenticationStateProviderTests
{
    [Fact]
    public async Task AnOpenPageLosesItsUserOnceTheAdminRoleIsWithdrawn()
    {
        var users = new DevelopmentUserStore(new StaticOptionsMonitor<SecurityOptions>(new SecurityOptions()));
        var authorization = new StaticOptionsMonitor<PortalAuthorizationOptions>(new PortalAuthorizationOptions());
        var validator = new SignedInUserValidator(TimeProvider.System, authorization, users);
        var options = Options.Create(new SecurityOptions { RevalidationInterval = TimeSpan.FromMilliseconds(20) });
        using var provider = new PortalAuthenticationStateProvider(NullLoggerFactory.Instance, options, validator, new AuditLog(NullLoggerFactory.Instance));
        var ada = users.SignIn("Ada", isAdmin: true);
        var principal = DevelopmentUserStore.CreatePrincipal(ada, authorization.CurrentValue.AdminRole);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(PortalClaims.SessionExpires,
            DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        var changed = new TaskCompletionSource<AuthenticationState>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.SetAuthenticationState(Task.FromResult(new AuthenticationState(principal)));
        provider.AuthenticationStateChanged += async state => changed.TrySetResult(await state);

        users.SetAdmin(ada.Id, isAdmin: false);

        var state = await changed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(state.User.Identity?.IsAuthenticated);
    }
}
