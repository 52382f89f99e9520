using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Api;

/// <summary>
/// <c>Authorization: Bearer dsp_...</c>: a personal access token, looked up by its hash. The principal carries the
/// claims the pages' sign-in gives (name identifier, object id, name, email, the admin role while the owner's latest
/// sign-in carried it, and the teams that sign-in gave, read on every use), so
/// <see cref="ExportUser.FromPrincipal"/> and every service rule apply unchanged. Other bearer tokens are left to the
/// Entra scheme. Failures answer 401 in <c>application/problem+json</c>.
/// </summary>
public sealed class AccessTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccessTokens tokens,
    AuditLog audit,
    IOptions<PortalAuthorizationOptions> authorization)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "PersonalAccessToken";

    /// <summary>The claim that names the token a principal came with.</summary>
    public const string TokenIdClaim = "portal_token_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        var secret = header["Bearer ".Length..].Trim();
        if (!AccessTokens.LooksLikeToken(secret))
        {
            return AuthenticateResult.NoResult();
        }

        switch (await tokens.CheckAsync(secret, Context.RequestAborted))
        {
            case AccessTokenCheck.Valid { Token: var token, Owner: var owner } valid:
                var name = string.IsNullOrWhiteSpace(owner.Name) ? token.OwnerName : owner.Name;
                List<Claim> claims =
                [
                    new(ClaimTypes.NameIdentifier, token.OwnerId),
                    new(ExportUser.ObjectIdClaim, token.OwnerId),
                    new("name", name),
                    new(ClaimTypes.Name, name),
                    new(TokenIdClaim, token.Id.ToString()),
                ];
                if ((owner.Email ?? token.OwnerEmail) is { } email)
                {
                    claims.Add(new(ClaimTypes.Email, email));
                }
                // Admin only while the owner's latest sign-in carried the role: a sign-in without it demotes every token.
                if (valid.ActsAsAdmin)
                {
                    claims.Add(new(ClaimTypes.Role, authorization.Value.AdminRole));
                }
                // The teams of the owner's latest sign-in: a sign-in without a team takes it from every token at once.
                var maintained = TeamRules.Split(owner.MaintainedTeams);
                TeamClaims.Add(claims, TeamRules.Split(owner.Teams).Union(maintained, StringComparer.Ordinal), maintained);
                var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, ClaimTypes.Name, ClaimTypes.Role));
                return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
            case AccessTokenCheck.Refused refused:
                audit.AccessTokenDenied(refused.Token?.Prefix ?? secret[..Math.Min(8, secret.Length)], refused.Token?.OwnerId ?? "", refused.Reason);
                return AuthenticateResult.Fail(refused.Reason);
            default:
                return AuthenticateResult.NoResult();
        }
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, failure is null ? "Bearer" : "Bearer error=\"invalid_token\"");
        await ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Not signed in",
            failure?.Message ?? "Send a personal access token (create one at /account/tokens) as 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden",
            "The token is valid but does not grant access to the portal's API.");
}
