using System.Net;
using Portal.Exports;
using Portal.Testing;

namespace Portal.IntegrationTests.Exports;

public class ExportFlowTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TimeRange Day(int daysAgo = 2)
    {
        var day = DateTimeOffset.UtcNow.Date.AddDays(-daysAgo);
        return new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
    }

    public static ExportUser User(string name, bool admin = false) => new($"{name.ToLowerInvariant()}-oid", name, $"{name.ToLowerInvariant()}@example.test", admin);

    public static Guid Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;

    [Theory]
    [InlineData(FileFormat.Csv, "text/csv")]
    [InlineData(FileFormat.Parquet, "application/vnd.apache.parquet")]
    [InlineData(FileFormat.Json, "application/json")]
    [InlineData(FileFormat.Orc, "application/vnd.apache.orc")]
    [InlineData(FileFormat.Avro, "application/avro")]
    [InlineData(FileFormat.TextFile, "text/plain")]
    public async Task EveryFormatGoesFromSubmitToCompletedAndDownloads(FileFormat format, string contentType)
    {
        var user = User($"Format{format}");
        var id = Accepted(await portal.Exports().SubmitAsync(user, Day(), format, Cancellation));

        var row = await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var link = await portal.Exports().GetDownloadAsync(user, id, 0, Cancellation);

        Assert.Equal(3 * 1440, row.RowCount);
        Assert.Equal($"part-00000.{format.Extension()}", Assert.Single(row.Files).Name);
        // In Progress may pass between two polls unseen.
        var steps = row.Events.Where(e => e.From != e.To).OrderBy(e => e.Id).Select(e => e.To).ToList();
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted], steps.Take(2));
        Assert.Equal(ExportStatus.Completed, steps[^1]);
        Assert.All(steps, step => Assert.Contains(step, new[] { ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress, ExportStatus.Completed }));
        Assert.NotNull(link);
        using var http = new HttpClient();
        using var file = await http.GetAsync(link.Url, Cancellation);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(contentType, file.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"device-status_{format.ApiName()}_{row.RangeFrom.UtcDateTime:yyyy-MM-dd'T'HHmm}Z_{row.RangeTo.UtcDateTime:yyyy-MM-dd'T'HHmm}Z_part-00000.{format.Extension()}", link.FileName);
        Assert.Contains((await portal.Exports().GetAsync(user, id, Cancellation))!.Timeline, e => e.Detail == $"Downloaded part-00000.{format.Extension()}.");
    }

    [Fact]
    public async Task TheReadinessEndpointReportsDatabaseTrackerAndUpstream()
    {
        using var client = portal.CreateClient();
        using var response = await Eventually.ReturnsAsync(
            async () =>
            {
                var answer = await client.GetAsync("/health/ready", Cancellation);
                if (answer.StatusCode != HttpStatusCode.OK)
                {
                    answer.Dispose();
                }
                return answer;
            },
            answer => answer.StatusCode == HttpStatusCode.OK,
            "the portal to become ready",
            lastSeen: answer => answer.StatusCode.ToString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal(["database", "tracker", "upstream"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
    }
}
