using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Portal.Exports;
using Portal.Security;

namespace Portal.Hosting;

public static class TelemetryExtensions
{
    /// <summary>
    /// Metrics, traces (ASP.NET Core, HttpClient, EF Core and the portal's own spans) and logs through OpenTelemetry,
    /// exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the standard variable and its siblings).
    /// </summary>
    public static IHostApplicationBuilder AddPortalTelemetry(this IHostApplicationBuilder builder)
    {
        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(ExportMetrics.MeterName, CspReportEndpoints.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(PortalActivity.SourceName)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !IsNoise(context.Request.Path))
                .AddHttpClientInstrumentation(options =>
                {
                    // Pre-signed download URLs are credentials and token requests carry secrets in their bodies:
                    // a span names the address without its query, whatever the client.
                    options.EnrichWithHttpRequestMessage = (activity, request) => RedactQuery(activity, request.RequestUri);
                })
                .AddEntityFrameworkCoreInstrumentation())
            .WithLogging();
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    internal static void RedactQuery(Activity activity, Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            return;
        }
        var withoutQuery = uri.GetLeftPart(UriPartial.Path);
        activity.SetTag("url.full", withoutQuery);
        activity.SetTag("http.url", null);
        if (activity.DisplayName.Contains('?', StringComparison.Ordinal))
        {
            activity.DisplayName = activity.DisplayName[..activity.DisplayName.IndexOf('?', StringComparison.Ordinal)];
        }
    }

    // Static files, health probes and the circuit's transport would drown the spans of real work.
    private static bool IsNoise(PathString path) =>
        path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content") || path.StartsWithSegments("/health")
        || path.Value?.EndsWith(".css", StringComparison.Ordinal) == true || path.Value?.EndsWith(".js", StringComparison.Ordinal) == true;
}
