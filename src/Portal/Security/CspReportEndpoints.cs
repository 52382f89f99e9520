using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// <c>POST /csp-reports</c>: where browsers report Content-Security-Policy violations, in either format
/// (<c>report-uri</c>'s <c>application/csp-report</c>, the Reporting API's <c>application/reports+json</c>).
/// Anonymous, because a report can come from any page, so rate-limited per client address; each report is logged
/// (without query strings) and counted in <c>portal.csp.violations</c>.
/// </summary>
public static partial class CspReportEndpoints
{
    public const string Path = "/csp-reports";

    /// <summary>The name the <c>report-to</c> directive and the <c>Reporting-Endpoints</c> header share.</summary>
    public const string ReportingGroup = "csp";

    public const string MeterName = "Portal.Security";

    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>The rate-limit policy of <see cref="Path"/>, added to the app-wide limiter by the security setup.</summary>
    internal const string RateLimitPolicy = "csp-reports";

    /// <summary>Reports are limited per client address (<c>Security:CspReportsPerMinute</c> a minute).</summary>
    internal static RateLimitPartition<string> ReportsPerClient(HttpContext context)
    {
        var perMinute = context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.CspReportsPerMinute;
        return RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
    }

    public static IEndpointRouteBuilder MapCspReports(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, ReceiveAsync)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(HttpContext context, CspViolationMetrics metrics, ILoggerFactory loggers)
    {
        WithoutStatusCodePage(context);
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        List<Violation> violations;
        try
        {
            using var body = await JsonDocument.ParseAsync(new LimitedStream(context.Request.Body, MaxBodyBytes), cancellationToken: context.RequestAborted);
            violations = Read(body.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            return Results.BadRequest();
        }

        var logger = loggers.CreateLogger(typeof(CspReportEndpoints).FullName!);
        foreach (var violation in violations)
        {
            metrics.Violation(violation.Directive);
            LogViolation(logger, violation.Directive, violation.Blocked, violation.Document);
        }
        return violations.Count > 0 ? Results.NoContent() : Results.BadRequest();
    }

    private static List<Violation> Read(JsonElement root)
    {
        var violations = new List<Violation>();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("csp-report", out var legacy) && legacy.ValueKind == JsonValueKind.Object)
        {
            violations.Add(new Violation(
                Text(legacy, "effective-directive") ?? Text(legacy, "violated-directive") ?? "unknown",
                WithoutQuery(Text(legacy, "blocked-uri")),
                WithoutQuery(Text(legacy, "document-uri"))));
        }
        else if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var report in root.EnumerateArray().Take(20))
            {
                if (report.ValueKind == JsonValueKind.Object && Text(report, "type") == "csp-violation"
                    && report.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.Object)
                {
                    violations.Add(new Violation(
                        Text(body, "effectiveDirective") ?? "unknown",
                        WithoutQuery(Text(body, "blockedURL")),
                        WithoutQuery(Text(body, "documentURL") ?? Text(report, "url"))));
                }
            }
        }
        return violations;
    }

    // The answer is for a browser's reporting machinery: re-executing it as the Not found page (a form POST) would
    // only turn it into an antiforgery failure.
    internal static void WithoutStatusCodePage(HttpContext context)
    {
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    // A blocked or reporting address can carry a token in its query: log where, not what.
    private static string WithoutQuery(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }
        var cut = value.IndexOfAny(['?', '#']);
        var trimmed = cut < 0 ? value : value[..cut];
        return trimmed.Length > 300 ? trimmed[..300] : trimmed;
    }

    [LoggerMessage(EventId = 9201, EventName = "CspViolation", Level = LogLevel.Warning,
        Message = "Content-Security-Policy violation: {Directive} blocked {Blocked} on {Document}")]
    private static partial void LogViolation(ILogger logger, string directive, string blocked, string document);

    private sealed record Violation(string Directive, string Blocked, string Document);

    /// <summary>Fails a read past <paramref name="max"/> bytes, whatever the request said its length was.</summary>
    private sealed class LimitedStream(Stream inner, long max) : Stream
    {
        private long read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            read += n;
            return read > max ? throw new InvalidDataException("The report is too large.") : n;
        }
    }
}

/// <summary>Counts reported violations by directive (meter <see cref="CspReportEndpoints.MeterName"/>).</summary>
public sealed class CspViolationMetrics
{
    private readonly Counter<long> violations;

    public CspViolationMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        violations = meterFactory.Create(CspReportEndpoints.MeterName)
            .CreateCounter<long>("portal.csp.violations", "{violation}", "Content-Security-Policy violations reported by browsers.");
    }

    public void Violation(string directive) => violations.Add(1, new KeyValuePair<string, object?>("directive", directive));
}
