using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

public class CspReportTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PagesAskBrowsersToReportViolationsToThePortal()
    {
        using var client = portal.CreateClient();

        using var response = await client.GetAsync("/", Cancellation);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains($"report-uri {CspReportEndpoints.Path}", csp, StringComparison.Ordinal);
        Assert.Contains($"report-to {CspReportEndpoints.ReportingGroup}", csp, StringComparison.Ordinal);
        Assert.Equal($"{CspReportEndpoints.ReportingGroup}=\"http://localhost{CspReportEndpoints.Path}\"",
            response.Headers.GetValues("Reporting-Endpoints").Single());
    }

    [Fact]
    public async Task AReportedViolationIsLoggedWithoutItsQueryAndCounted()
    {
        var counted = new List<string?>();
        using var listener = ListenToViolations(counted);
        using var client = portal.CreateClient();
        using var report = new StringContent("""
            {"csp-report": {"document-uri": "http://localhost/exports/new?token=page-secret", "violated-directive": "script-src-elem",
              "effective-directive": "script-src-elem", "blocked-uri": "https://evil.example/x.js?key=blocked-secret"}}
            """, Encoding.UTF8, "application/csp-report");

        using var response = await client.PostAsync(CspReportEndpoints.Path, report, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains(portal.Logs.Entries, e => e.Contains(
            "Content-Security-Policy violation: script-src-elem blocked https://evil.example/x.js on http://localhost/exports/new", StringComparison.Ordinal));
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains("secret", StringComparison.Ordinal));
        listener.RecordObservableInstruments();
        Assert.Contains("script-src-elem", counted);
    }

    [Fact]
    public async Task TheReportingApiFormatIsAcceptedToo()
    {
        using var client = portal.CreateClient();
        using var report = new StringContent("""
            [{"type": "csp-violation", "url": "http://localhost/admin", "body": {"documentURL": "http://localhost/admin",
              "effectiveDirective": "img-src", "blockedURL": "https://tracker.example/pixel.gif"}}]
            """, Encoding.UTF8, "application/reports+json");

        using var response = await client.PostAsync(CspReportEndpoints.Path, report, Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains(portal.Logs.Entries, e => e.Contains(
            "Content-Security-Policy violation: img-src blocked https://tracker.example/pixel.gif on http://localhost/admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ReportsBeyondTheLimitAreRefused()
    {
        using var limited = portal.WithWebHostBuilder(builder => builder.UseSetting("Security:CspReportsPerMinute", "3"));
        using var client = limited.CreateClient();
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 5; i++)
        {
            using var report = new StringContent("""{"csp-report": {"effective-directive": "style-src", "blocked-uri": "inline"}}""",
                Encoding.UTF8, "application/csp-report");
            using var response = await client.PostAsync(CspReportEndpoints.Path, report, Cancellation);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.NoContent, HttpStatusCode.NoContent, HttpStatusCode.NoContent,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task SomethingThatIsNotAReportIsABadRequest()
    {
        using var client = portal.CreateClient();
        using var junk = new StringContent("not json", Encoding.UTF8, "application/csp-report");

        using var response = await client.PostAsync(CspReportEndpoints.Path, junk, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static MeterListener ListenToViolations(List<string?> directives)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CspReportEndpoints.MeterName && instrument.Name == "portal.csp.violations")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "directive")
                {
                    lock (directives)
                    {
                        directives.Add(tag.Value as string);
                    }
                }
            }
        });
        listener.Start();
        return listener;
    }
}
