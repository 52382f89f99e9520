using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace Portal.Security;

public static class SecurityHostingExtensions
{
    /// <summary>The configuration section of Microsoft Entra ID (Microsoft.Identity.Web's <c>MicrosoftIdentityOptions</c>).</summary>
    public const string AzureAdSectionName = "AzureAd";

    private static readonly string[] RequiredEntraKeys = ["TenantId", "Instance"];

    /// <summary>
    /// Sign-in (Entra ID when <c>AzureAd:ClientId</c> is set, else the development sign-in, in Development only),
    /// the <c>Admin</c> policy and a fallback policy that requires a signed-in user everywhere that does not opt out
    /// with <c>[AllowAnonymous]</c>, revalidation of open pages, audit logging, the app-wide rate limiter and
    /// deliberate circuit limits.
    /// </summary>
    public static IHostApplicationBuilder AddPortalSecurity(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var isDevelopment = builder.Environment.IsDevelopment();

        services.AddOptions<PortalAuthorizationOptions>()
            .BindConfiguration(PortalAuthorizationOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.AdminRole), "Authorization:AdminRole must name the admin app role or group.")
            .ValidateOnStart();
        services.AddOptions<SecurityOptions>()
            .BindConfiguration(SecurityOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<AuditLog>();
        services.TryAddSingleton<SignedInUserValidator>();
        services.TryAddSingleton<PortalUsers>();
        services.AddOptions<TeamsOptions>().BindConfiguration(TeamsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TeamsOptions>>(new TeamsOptionsValidator(requireGroupForMaintainedTeam: IsEntraConfigured(builder.Configuration)));
        services.TryAddSingleton<TeamDirectory>();

        var azureAd = builder.Configuration.GetSection(AzureAdSectionName);
        services.AddSingleton(new EntraTenant(azureAd["TenantId"]));
        var authentication = services.AddAuthentication(options =>
        {
            // Everyone is challenged by the cookie, which sends browsers to /account/login: that endpoint picks
            // Entra ID or the development sign-in, and answers script requests with 401 instead of a redirect.
            options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            options.DefaultChallengeScheme = CookieAuthenticationDefaults.AuthenticationScheme;
        });
        if (IsEntraConfigured(builder.Configuration))
        {
            RequireEntraSettings(azureAd);
            authentication.AddMicrosoftIdentityWebApp(azureAd, OpenIdConnectDefaults.AuthenticationScheme, CookieAuthenticationDefaults.AuthenticationScheme);
            // After Microsoft.Identity.Web's own handler, which it chains: a sign-in from another tenant never becomes a session.
            services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, oidc =>
            {
                RefuseForeignTenants(oidc.Events);
                AddTeams(oidc.Events);
            });
        }
        else if (!isDevelopment)
        {
            // Anyone may sign in as anyone, admins included, through the development sign-in: never on a shared host.
            throw new InvalidOperationException(
                $"Sign-in is not configured: {builder.Environment.EnvironmentName} requires Microsoft Entra ID. Set the 'AzureAd' section " +
                "(Instance, TenantId, ClientId, ClientSecret or ClientCredentials, CallbackPath). The development " +
                "sign-in is only available in the Development environment.");
        }
        else
        {
            authentication.AddCookie();
            services.TryAddSingleton<DevelopmentUserStore>();
        }

        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<SecurityOptions>>((cookie, security) => ConfigureSessionCookie(cookie, security.Value, isDevelopment));
        services.AddAntiforgery(options =>
        {
            options.Cookie.SecurePolicy = isDevelopment ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        });
        services.AddTransient<IClaimsTransformation, AdminRoleClaimsTransformation>();
        services.AddSingleton<IAuthorizationHandler, ResourceAuthorizationHandler>();

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(FallbackPolicy.Build());
        services.AddOptions<AuthorizationOptions>()
            .Configure<IOptions<PortalAuthorizationOptions>>((options, portal) =>
                options.AddPolicy(PortalAuthorizationOptions.AdminPolicy, policy => policy
                    .RequireAuthenticatedUser()
                    .RequireRole(portal.Value.AdminRole)));

        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, PortalAuthenticationStateProvider>();

        AddConnectionLimits(builder, isDevelopment);
        services.AddSingleton<CspViolationMetrics>();
        AddRateLimits(services);
        services.AddSecurityHeaderPolicies(policies => policies.AddPolicy(SecurityHeaders.DownloadPolicy, SecurityHeaders.BuildDownload()));
        return builder;
    }

    /// <summary>
    /// Security headers, authentication, authorization and antiforgery, in that order. Call after the exception
    /// handler and status code pages, whose re-executed requests must be authorized too.
    /// </summary>
    public static WebApplication UsePortalSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var authority = IsEntraConfigured(app.Configuration) ? SignInOrigin(app.Configuration.GetSection(AzureAdSectionName)) : null;
        app.UseSecurityHeaders(SecurityHeaders.Build(app.Environment.IsDevelopment(), authority));
        app.Use((context, next) =>
        {
            // The Reporting API wants an absolute address: the portal's public one, not a Host header the caller chose.
            context.Response.Headers["Reporting-Endpoints"] =
                $"{CspReportEndpoints.ReportingGroup}=\"{PortalPublicUrl.Root(context.Request)}{CspReportEndpoints.Path}\"";
            return next(context);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        return app;
    }

    /// <summary>
    /// <c>GET /account/login?returnUrl=</c> (Entra ID challenge or the development sign-in page),
    /// <c>POST /account/logout</c> and, for the development sign-in, <c>POST /account/dev-signin</c>.
    /// Forms are checked for an antiforgery token; return URLs are honoured only when local.
    /// </summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var developmentUsers = app.ServiceProvider.GetService<DevelopmentUserStore>();
        AccountEndpoints.Map(app.MapGroup("/account").AllowAnonymous(), developmentUsers is not null);
        return app;
    }

    internal static bool IsEntraConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[$"{AzureAdSectionName}:ClientId"]);

    private static void RequireEntraSettings(IConfigurationSection azureAd)
    {
        string[] missing = [.. RequiredEntraKeys.Where(key => string.IsNullOrWhiteSpace(azureAd[key]))];
        if (missing.Length > 0)
        {
            throw new InvalidOperationException(
                $"The 'AzureAd' section sets a ClientId but not {string.Join(" and ", missing)}: Entra ID sign-in needs them.");
        }
        if (!Uri.TryCreate(azureAd["Instance"], UriKind.Absolute, out var instance) || instance.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException("'AzureAd:Instance' must be an https URL, e.g. https://login.microsoftonline.com/.");
        }
    }

    private static void RefuseForeignTenants(OpenIdConnectEvents events)
    {
        var tokenValidated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await tokenValidated(context);
            if (context.Result is not null || context.Principal?.Identity is not ClaimsIdentity identity)
            {
                return;
            }
            var services = context.HttpContext.RequestServices;
            if (services.GetRequiredService<EntraTenant>().Check(identity) is { } reason)
            {
                services.GetRequiredService<AuditLog>().AccessDenied(context.Principal, $"sign-in ({reason})");
                context.Fail($"Sign-in refused: {reason}.");
            }
        };
    }

    /// <summary>The sign-in's groups become the session's teams (<see cref="TeamDirectory"/>), once, when the sign-in is accepted.</summary>
    private static void AddTeams(OpenIdConnectEvents events)
    {
        var tokenValidated = events.OnTokenValidated;
        events.OnTokenValidated = async context =>
        {
            await tokenValidated(context);
            if (context.Result is null && context.Principal is { Identity: ClaimsIdentity identity } principal)
            {
                context.HttpContext.RequestServices.GetRequiredService<TeamDirectory>().AddEntraTeams(principal, identity);
            }
        };
    }

    private static string? SignInOrigin(IConfigurationSection azureAd) =>
        Uri.TryCreate(azureAd["Instance"], UriKind.Absolute, out var instance) ? instance.GetLeftPart(UriPartial.Authority) : null;

    private static void ConfigureSessionCookie(CookieAuthenticationOptions cookie, SecurityOptions security, bool isDevelopment)
    {
        cookie.Cookie.Name = "Portal.Session";
        cookie.Cookie.HttpOnly = true;
        // Lax, not Strict: the browser comes back from Entra ID with a cross-site redirect and must present the cookie.
        cookie.Cookie.SameSite = SameSiteMode.Lax;
        cookie.Cookie.SecurePolicy = isDevelopment ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        cookie.ExpireTimeSpan = security.SessionLifetime;
        cookie.SlidingExpiration = false;
        cookie.LoginPath = "/account/login";
        cookie.LogoutPath = "/account/logout";
        cookie.AccessDeniedPath = "/account/access-denied";
        cookie.ReturnUrlParameter = "returnUrl";
        SessionCookieEvents.Attach(cookie.Events);
    }

    /// <summary>
    /// The app-wide rate limiter (<see cref="UsePortalSecurity"/> turns it on): the limits per user and per token on
    /// the API and the file routes (<see cref="UserRateLimits"/>, section <c>RateLimits</c>) for every request, and the
    /// policy of CSP reports per client address. A rejected request gets 429 with <c>Retry-After</c> (problem+json on
    /// the API), never the Not found page.
    /// </summary>
    private static void AddRateLimits(IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IRateLimitPartitions, InProcessRateLimitPartitions>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = UserRateLimits.Create();
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                CspReportEndpoints.WithoutStatusCodePage(context.HttpContext);
                await UserRateLimits.RejectAsync(context, cancellationToken);
            };
            limiter.AddPolicy(CspReportEndpoints.RateLimitPolicy, CspReportEndpoints.ReportsPerClient);
        });
    }

    private static void AddConnectionLimits(IHostApplicationBuilder builder, bool isDevelopment)
    {
        // Read now: AddHubOptions takes a plain delegate. ValidateOnStart checks the same values.
        var security = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();

        builder.Services.AddServerSideBlazor(circuit =>
            {
                circuit.DetailedErrors = isDevelopment;
                circuit.DisconnectedCircuitRetentionPeriod = security.DisconnectedCircuitRetentionPeriod;
                circuit.DisconnectedCircuitMaxRetained = security.DisconnectedCircuitMaxRetained;
            })
            .AddHubOptions(hub =>
            {
                hub.MaximumReceiveMessageSize = security.CircuitMaximumReceiveMessageSize;
                hub.EnableDetailedErrors = isDevelopment;
            });
    }
}
