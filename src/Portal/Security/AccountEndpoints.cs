using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Portal.Security;

internal static class AccountEndpoints
{
    public const string DevelopmentSignInPage = "/account/dev-signin";

    public static void Map(RouteGroupBuilder account, bool developmentSignIn)
    {
        account.MapGet("/login", (string? returnUrl) =>
        {
            var target = ReturnUrl.Sanitize(returnUrl);
            return developmentSignIn
                ? Results.Redirect($"{DevelopmentSignInPage}?returnUrl={Uri.EscapeDataString(target)}")
                : Results.Challenge(new AuthenticationProperties { RedirectUri = target }, [OpenIdConnectDefaults.AuthenticationScheme]);
        });

        account.MapPost("/logout", async ([FromForm] string? returnUrl, HttpContext context, AuditLog audit) =>
        {
            var target = ReturnUrl.Sanitize(returnUrl);
            var user = context.User;
            if (user.Identity?.IsAuthenticated == true)
            {
                audit.SignedOut(user);
            }
            if (developmentSignIn || user.Identity?.IsAuthenticated != true)
            {
                await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.LocalRedirect(target);
            }
            // Ends the Entra ID session too, which then sends the browser back to the target.
            return Results.SignOut(
                new AuthenticationProperties { RedirectUri = target },
                [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]);
        });

        if (!developmentSignIn)
        {
            return;
        }

        account.MapPost("/dev-signin", async (
            [FromForm] string? name,
            [FromForm] bool? admin,
            [FromForm] string? teams,
            [FromForm] string? returnUrl,
            HttpContext context,
            DevelopmentUserStore users,
            TeamDirectory directory,
            IOptions<PortalAuthorizationOptions> authorization) =>
        {
            var target = ReturnUrl.Sanitize(returnUrl);
            if (!DevelopmentUserStore.IsValidName(name))
            {
                return Results.LocalRedirect($"{DevelopmentSignInPage}?error=name&returnUrl={Uri.EscapeDataString(target)}");
            }
            if (TeamDirectory.ParseTypedTeams(teams, out _) is not { } teamNames)
            {
                // The page shows which name is wrong, with the form filled in as it was sent.
                return Results.LocalRedirect($"{DevelopmentSignInPage}?error=teams&name={Uri.EscapeDataString(name!)}" +
                    $"&teams={Uri.EscapeDataString(teams!)}&returnUrl={Uri.EscapeDataString(target)}");
            }
            var user = users.SignIn(name!, admin == true);
            await context.SignInAsync(
                CookieAuthenticationDefaults.AuthenticationScheme,
                DevelopmentUserStore.CreatePrincipal(user, authorization.Value.AdminRole, directory.FromNames(teamNames, user.Id, user.Email)));
            return Results.LocalRedirect(target);
        });
    }
}
