using Microsoft.AspNetCore.Authorization;

namespace Portal.Security;

/// <summary>
/// The policy of every endpoint that names none: a signed-in user. Two things pass without one: a request that
/// matched no endpoint (it can only end as the public "not found" page), and the Blazor circuit's own transport
/// under <c>/_blazor</c>, which public pages need to become interactive. A circuit carries its user, and every
/// page in it is checked again by <c>AuthorizeRouteView</c>, so the transport itself grants nothing.
/// </summary>
internal static class FallbackPolicy
{
    public static AuthorizationPolicy Build() => new AuthorizationPolicyBuilder()
        .RequireAssertion(context =>
            context.User.Identities.Any(identity => identity.IsAuthenticated)
            || (context.Resource is HttpContext http && IsOpenWithoutSignIn(http)))
        .Build();

    private static bool IsOpenWithoutSignIn(HttpContext context) =>
        context.GetEndpoint() is null || context.Request.Path.StartsWithSegments("/_blazor", StringComparison.OrdinalIgnoreCase);
}
