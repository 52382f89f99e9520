using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Identity.Web;
using Microsoft.OpenApi;
using NetEscapades.AspNetCore.SecurityHeaders;
using Portal.Security;
using Scalar.AspNetCore;

namespace Portal.Api;

public static class ApiExtensions
{
    public const string RoutePrefix = "/api/v1";

    /// <summary>The policy of every <c>/api/v1</c> endpoint.</summary>
    public const string ApiPolicy = "Api";

    /// <summary>The scheme of Entra ID bearer tokens, registered only with Entra ID and <c>Api:Scope</c> or <c>Api:AppRole</c>.</summary>
    public const string EntraBearerScheme = "EntraBearer";

    public const string DocumentName = "v1";

    /// <summary>The reference page for script writers (Scalar); the OpenAPI document is at <c>/openapi/v1.json</c>.</summary>
    public const string ReferencePath = "/api/docs";

    private static readonly string[] ScopeClaimTypes = ["http://schemas.microsoft.com/identity/claims/scope", "scp"];
    private static readonly string[] RoleClaimTypes = ["roles", ClaimTypes.Role];

    /// <summary>
    /// Personal access tokens and, with Entra ID and a scope or app role in <c>Api</c>, Entra bearer tokens; the
    /// <see cref="ApiPolicy"/>; the OpenAPI document. The session cookie is never one of the API's schemes, so a page's
    /// sign-in cannot be ridden by another site (no CSRF surface).
    /// </summary>
    public static IHostApplicationBuilder AddPortalApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AccessTokens>();

        var authentication = services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AccessTokenAuthenticationHandler>(AccessTokenAuthenticationHandler.SchemeName, null);
        // Read now: the set of schemes is fixed at start. ValidateOnStart checks the same section.
        var api = builder.Configuration.GetSection(ApiOptions.SectionName).Get<ApiOptions>() ?? new ApiOptions();
        var acceptsEntra = SecurityHostingExtensions.IsEntraConfigured(builder.Configuration) && api.AcceptsEntraTokens;
        var tenant = new EntraTenant(builder.Configuration[$"{SecurityHostingExtensions.AzureAdSectionName}:TenantId"]);
        if (acceptsEntra)
        {
            authentication.AddMicrosoftIdentityWebApi(builder.Configuration.GetSection(SecurityHostingExtensions.AzureAdSectionName), EntraBearerScheme);
            // An Entra access token is a fresh word from the directory, like a sign-in: its groups are its teams, as
            // its roles are its admin right.
            services.Configure<JwtBearerOptions>(EntraBearerScheme, jwt => AddTeams(jwt.Events));
        }

        // The token scheme comes last: its challenge writes the problem body after the other scheme's header.
        string[] schemes = acceptsEntra ? [EntraBearerScheme, AccessTokenAuthenticationHandler.SchemeName] : [AccessTokenAuthenticationHandler.SchemeName];
        services.AddAuthorizationBuilder().AddPolicy(ApiPolicy, policy => policy
            .AddAuthenticationSchemes(schemes)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.Identities.Any(identity => Admits(identity, api, tenant))));

        services.AddOpenApi(DocumentName, options =>
        {
            options.ShouldInclude = description => description.RelativePath?.StartsWith(RoutePrefix[1..] + "/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "Device Status Export Portal API";
                document.Info.Description = "Request device-status exports, follow them and download their files. Send a personal access token " +
                    "(create one at /account/tokens) as `Authorization: Bearer <token>`. Errors are `application/problem+json`.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[AccessTokenAuthenticationHandler.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "dsp_…",
                    Description = "A personal access token from /account/tokens" + (acceptsEntra ? ", or an Entra ID access token for the portal's API." : "."),
                };
                document.Security ??= [];
                document.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(AccessTokenAuthenticationHandler.SchemeName, document)] = [],
                });
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    private static void AddTeams(JwtBearerEvents events)
    {
        var tokenValidated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await tokenValidated(context);
            if (context.Result is null && context.Principal is { Identity: ClaimsIdentity identity } principal)
            {
                context.HttpContext.RequestServices.GetRequiredService<TeamDirectory>().AddEntraTeams(principal, identity, logOverage: false);
            }
        };
    }

    /// <summary>
    /// <c>/api/v1</c> with the API's policy and problem bodies, the OpenAPI document and the reference page. Features
    /// attach their endpoints to the returned group (<c>api.MapExportApi()</c>, ...).
    /// </summary>
    public static RouteGroupBuilder MapPortalApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Public like any API description: it holds no data, and script writers read it before they have a token.
        app.MapOpenApi().AllowAnonymous();
        // The page's scripts carry the request's CSP nonce, so the portal's policy covers it unchanged; the fonts come
        // from this origin's stylesheet fallbacks instead of a CDN, and nothing is sent anywhere else.
        app.MapScalarApiReference(ReferencePath, (options, context) => options
                .WithTitle("Device Status Export Portal API")
                .WithNonce(context.GetNonce())
                .DisableDefaultFonts()
                .DisableTelemetry()
                .DisableAgent()
                .DisableMcp()
                .AddPreferredSecuritySchemes(AccessTokenAuthenticationHandler.SchemeName))
            .AllowAnonymous();

        return app.MapGroup(RoutePrefix)
            .RequireAuthorization(ApiPolicy)
            .AddEndpointFilter(ApiProblems.WithProblemBody)
            // Scripts get problem+json, never the pages' "not found" page.
            .WithMetadata(new SkipStatusCodePagesAttribute());
    }

    /// <summary>
    /// A personal access token, or an Entra access token from the portal's tenant: a delegated one (<c>scp</c>) with the
    /// configured scope, or an app-only one (<c>idtyp</c> <c>app</c>, no <c>scp</c>) with the configured app role. A
    /// token with a <c>nonce</c> is an ID token, never admitted (an ID token's audience is the portal too, and it carries
    /// the user's roles).
    /// </summary>
    public static bool Admits(ClaimsIdentity identity, ApiOptions api, EntraTenant tenant)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!identity.IsAuthenticated)
        {
            return false;
        }
        if (identity.AuthenticationType == AccessTokenAuthenticationHandler.SchemeName)
        {
            return true;
        }
        if (identity.HasClaim(c => c.Type == "nonce") || tenant.Check(identity) is not null)
        {
            return false;
        }
        var scopeClaims = identity.Claims.Where(c => ScopeClaimTypes.Contains(c.Type, StringComparer.Ordinal)).ToList();
        if (scopeClaims.Count > 0)
        {
            var scopes = scopeClaims.SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            return !string.IsNullOrWhiteSpace(api.Scope) && scopes.Contains(api.Scope, StringComparer.Ordinal);
        }
        var isAppToken = identity.Claims.Any(c => c.Type == "idtyp" && string.Equals(c.Value, "app", StringComparison.Ordinal));
        var roles = identity.Claims.Where(c => RoleClaimTypes.Contains(c.Type, StringComparer.Ordinal)).Select(c => c.Value);
        return isAppToken && !string.IsNullOrWhiteSpace(api.AppRole) && roles.Contains(api.AppRole, StringComparer.Ordinal);
    }
}
