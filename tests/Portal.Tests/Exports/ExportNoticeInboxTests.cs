using System.Net;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportNoticeInboxTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task NoticesCanBeMarkedRead()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Json(HttpStatusCode.BadRequest, """{"title":"Bad","status":400}""", mediaType: "application/problem+json"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation);
        await host.TrackAsync();

        await exports.MarkNoticesReadAsync(EngineTestHost.Alice, Cancellation);

        Assert.True(Assert.Single(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation)).Read);
        Assert.Empty(await exports.GetNoticesAsync(EngineTestHost.Bob, 10, Cancellation));
    }
}
