using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Data;
using Portal.Security;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Hosting;

public static class HealthExtensions
{
    /// <summary>Checks whose failure makes the portal unready: it cannot serve a page or follow a request without them.</summary>
    internal const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions BodyJson = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static IHostApplicationBuilder AddPortalHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<TrackerHealthCheck>("tracker", tags: [ReadyTag])
            // Reported, not required: a vendor outage is the vendor's, and the portal keeps serving its history.
            .AddCheck<UpstreamHealthCheck>("upstream");
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers (no checks). <c>/health/ready</c>: database, tracker and (with
    /// <c>ConnectionStrings:Redis</c>) Redis decide the status code; every check, the upstream's included, is in the JSON body,
    /// with its description (error texts, pause reasons) only for a signed-in admin.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = WriteReadinessAsync }).AllowAnonymous();
        return app;
    }

    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        // The probe is anonymous; what failed and why is for admins, not for whoever can reach the port.
        var authorization = context.RequestServices.GetRequiredService<IAuthorizationService>();
        var admin = context.User.Identity?.IsAuthenticated == true
            && (await authorization.AuthorizeAsync(context.User, PortalAuthorizationOptions.AdminPolicy)).Succeeded;
        var ready = report.Entries.Values.Where(e => e.Tags.Contains(ReadyTag)).All(e => e.Status != HealthStatus.Unhealthy);
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = ready ? "Ready" : "NotReady",
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = admin ? e.Value.Description : null, required = e.Value.Tags.Contains(ReadyTag) }),
        };
        await context.Response.WriteAsync(JsonSerializer.Serialize(body, BodyJson), context.RequestAborted);
    }
}
