using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Notifications.Email;

public static partial class EmailExtensions
{
    /// <summary>
    /// Email when an export ends (section <c>Notifications:Email</c>): the planner on the outbox, the sender, the users'
    /// settings (their address remembered at each sign-in) and the queries of the settings page, the dashboard and
    /// <c>/dev/mail</c>.
    /// </summary>
    public static IHostApplicationBuilder AddEmailNotifications(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IDeliveryPlanner, EmailPlanner>();
        services.AddSingleton<EmailSender>();
        services.AddHostedService(sp => sp.GetRequiredService<EmailSender>());
        services.AddSingleton<UserSettingsStore>();
        services.AddSingleton<IEmailQueries, EmailQueries>();
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure(cookie => RememberAddressAtSignIn(cookie.Events));
        return builder;
    }

    private static void RememberAddressAtSignIn(CookieAuthenticationEvents events)
    {
        var signedIn = events.OnSignedIn;
        events.OnSignedIn = async context =>
        {
            await signedIn(context);
            var services = context.HttpContext.RequestServices;
            try
            {
                var adminRole = services.GetRequiredService<IOptions<PortalAuthorizationOptions>>().Value.AdminRole;
                var user = ExportUser.FromPrincipal(context.Principal!, adminRole);
                await services.GetRequiredService<UserSettingsStore>().RememberAddressAsync(user, context.HttpContext.RequestAborted);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The sign-in stands; the address is stored again when the user saves their settings or signs in next.
                LogAddressNotRemembered(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EmailExtensions)), ex);
            }
        };
    }

    [LoggerMessage(LogLevel.Warning, "Could not remember the signed-in user's email address")]
    private static partial void LogAddressNotRemembered(ILogger logger, Exception ex);
}
