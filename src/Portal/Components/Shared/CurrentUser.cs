using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Components.Shared;

/// <summary>The signed-in user of this circuit, as the export service scopes its calls.</summary>
public sealed class CurrentUser(AuthenticationStateProvider authentication, IOptions<PortalAuthorizationOptions> options)
{
    public async Task<ExportUser> GetAsync()
    {
        var state = await authentication.GetAuthenticationStateAsync();
        return ExportUser.FromPrincipal(state.User, options.Value.AdminRole);
    }
}
