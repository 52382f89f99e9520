using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Data;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Hosting;

public static class HealthExtensions
{
    /// <summary>Checks whose failure makes the portal unready: it cannot serve a page or follow a request without them.</summary>
    internal const string ReadyTag = "ready";

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
    /// <c>ConnectionStrings:Redis</c>) Redis decide the status code; every check, the upstream's included, is in the JSON body.
    /// </summary>
    public static IEndpointRouteBuilder MapPortalHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = WriteReadinessAsync }).AllowAnonymous();
        return app;
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var ready = report.Entries.Values.Where(e => e.Tags.Contains(ReadyTag)).All(e => e.Status != HealthStatus.Unhealthy);
        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = ready ? "Ready" : "NotReady",
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString(), description = e.Value.Description, required = e.Value.Tags.Contains(ReadyTag) }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted);
    }
}
