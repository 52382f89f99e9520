using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>Re-checks the user of an open page, so a withdrawn role or an ended session takes effect without a reload.</summary>
public sealed class PortalAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IOptions<SecurityOptions> options,
    SignedInUserValidator validator,
    AuditLog audit)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        var problem = validator.Check(user);
        if (problem is not null)
        {
            audit.SessionRevoked(user, problem);
        }
        return Task.FromResult(problem is null);
    }
}
