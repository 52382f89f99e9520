using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>What the session cookie does besides carrying the user: stamp an expiry, audit, re-check, answer scripts.</summary>
internal static class SessionCookieEvents
{
    /// <summary>Adds the portal's handlers after whatever Microsoft.Identity.Web registered, keeping those.</summary>
    public static void Attach(CookieAuthenticationEvents events)
    {
        var signingIn = events.OnSigningIn;
        events.OnSigningIn = async context =>
        {
            await signingIn(context);
            StampExpiry(context);
        };

        var signedIn = events.OnSignedIn;
        events.OnSignedIn = async context =>
        {
            await signedIn(context);
            var services = context.HttpContext.RequestServices;
            var adminRole = services.GetRequiredService<IOptions<PortalAuthorizationOptions>>().Value.AdminRole;
            var principal = context.Principal!;
            // What token checks go by: when the user last signed in, and whether this sign-in carried the admin role.
            await services.GetRequiredService<PortalUsers>().RecordSignInAsync(principal, context.HttpContext.RequestAborted);
            services.GetRequiredService<AuditLog>().SignedIn(
                principal,
                principal.IsDevelopmentSignIn() ? "DevelopmentSignIn" : "EntraId",
                AdminRoleClaimsTransformation.HasAdminClaim(principal, adminRole));
        };

        var validatePrincipal = events.OnValidatePrincipal;
        events.OnValidatePrincipal = async context =>
        {
            await validatePrincipal(context);
            if (context.Principal is null)
            {
                return;
            }
            var services = context.HttpContext.RequestServices;
            var problem = services.GetRequiredService<SignedInUserValidator>().Check(context.Principal);
            if (problem is not null)
            {
                services.GetRequiredService<AuditLog>().SessionRevoked(context.Principal, problem);
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            }
        };

        var redirectToLogin = events.OnRedirectToLogin;
        events.OnRedirectToLogin = context =>
        {
            if (IsPageRequest(context.Request))
            {
                return redirectToLogin(context);
            }
            RefuseWithoutPage(context.HttpContext, StatusCodes.Status401Unauthorized);
            return Task.CompletedTask;
        };

        var redirectToAccessDenied = events.OnRedirectToAccessDenied;
        events.OnRedirectToAccessDenied = context =>
        {
            context.HttpContext.RequestServices.GetRequiredService<AuditLog>()
                .AccessDenied(context.HttpContext.User, (context.Request.PathBase + context.Request.Path).Value ?? "/");
            if (IsPageRequest(context.Request))
            {
                return redirectToAccessDenied(context);
            }
            RefuseWithoutPage(context.HttpContext, StatusCodes.Status403Forbidden);
            return Task.CompletedTask;
        };
    }

    private static void StampExpiry(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity)
        {
            return;
        }
        var expires = context.Properties.ExpiresUtc
            ?? (context.Properties.IssuedUtc ?? DateTimeOffset.UtcNow).Add(context.Options.ExpireTimeSpan);
        foreach (var stale in identity.FindAll(PortalClaims.SessionExpires).ToList())
        {
            identity.RemoveClaim(stale);
        }
        identity.AddClaim(new Claim(PortalClaims.SessionExpires, expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
    }

    /// <summary>
    /// A bare status for scripts, hubs and API clients: the status code pages would otherwise re-execute the
    /// request as the Not found page, which a POST (a hub negotiate) cannot reach without an antiforgery token.
    /// </summary>
    private static void RefuseWithoutPage(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }
    }

    /// <summary>A browser navigating to a page gets redirected; scripts, hubs and API clients get a status code.</summary>
    private static bool IsPageRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.Path.StartsWithSegments("/_blazor")
        && !request.Path.StartsWithSegments("/hubs")
        && request.Headers.Accept.Any(value => value?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
