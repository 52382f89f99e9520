using System.Net;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportSubmissionsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task ASubmissionIsStoredQueuedAndTheTrackerSendsIt()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Accepted("uuid-42"));
        await using var host = await EngineTestHost.StartAsync(upstream);

        var export = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Json, Cancellation));
        Assert.Equal(ExportStatus.Queued, export.Status);
        Assert.Equal(0, upstream.Posts);

        await host.TrackAsync();

        var row = await host.RowAsync(export.Id);
        Assert.Equal(ExportStatus.Submitted, row.Status);
        Assert.Equal("uuid-42", row.RequestUuid);
        Assert.Equal("alice@example.test", row.OwnerEmail);
        Assert.Null(row.LeaseOwner);
        Assert.Null(row.SubmitSentAt);
        Assert.Equal(1, row.SubmitAttempts);
        Assert.NotNull(row.NextPollAt);
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted], row.Events.OrderBy(e => e.Id).Select(e => e.To));
    }

    [Fact]
    public async Task AnAnswerThatStartedNothingLeavesTheRequestQueuedForAnotherTry()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable", retryAfter: 30));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var before = DateTimeOffset.UtcNow;

        var export = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));
        await host.TrackAsync();

        var row = await host.RowAsync(export.Id);
        Assert.Equal(ExportStatus.Queued, row.Status);
        Assert.Null(row.RequestUuid);
        Assert.Null(row.SubmitSentAt);
        Assert.Contains("503", row.LastError, StringComparison.Ordinal);
        Assert.True(row.NextPollAt >= before.AddSeconds(30));
    }

    [Fact]
    public async Task ABadRequestBecomesFailedWithAReadableReason()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Json(HttpStatusCode.BadRequest,
            """{"title":"One or more validation errors occurred.","status":400,"errors":{"fileformat":["Unknown format."]}}""", mediaType: "application/problem+json"));
        await using var host = await EngineTestHost.StartAsync(upstream);

        var id = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();

        var export = (await host.Exports().GetAsync(EngineTestHost.Alice, id, Cancellation))!.Summary;
        Assert.Equal(ExportStatus.Failed, export.Status);
        Assert.Equal("The device platform rejected the export: fileformat: Unknown format.", export.LastError);
        Assert.Equal(ExportStatus.Failed, Assert.Single(await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 5, Cancellation)).Status);
    }

    [Fact]
    public async Task ADoubleClickSubmitsOnce()
    {
        var upstream = new StubUpstream();
        await using var host = await EngineTestHost.StartAsync(upstream);
        var range = EngineTestHost.Day();

        var outcomes = await Task.WhenAll(
            host.Exports().SubmitAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation),
            host.Exports().SubmitAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation));
        await host.TrackAsync();

        Assert.Equal(Accepted(outcomes[0]).Id, Accepted(outcomes[1]).Id);
        Assert.Equal(1, upstream.Posts);
    }

    [Theory]
    [InlineData(0, 0, "timerange")]
    [InlineData(-40, 0, "timerange")]
    [InlineData(-1, 1, "timerange")]
    public async Task AnInvalidRangeIsRefusedBeforeAnythingIsStored(int fromDays, int toDays, string key)
    {
        var upstream = new StubUpstream();
        await using var host = await EngineTestHost.StartAsync(upstream);
        var now = DateTimeOffset.UtcNow;

        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, new TimeRange(now.AddDays(fromDays), now.AddDays(toDays)), FileFormat.Csv, Cancellation);
        await host.TrackAsync();

        Assert.Contains(key, Assert.IsType<SubmitOutcome.Invalid>(outcome).Errors.Keys);
        Assert.Equal(0, upstream.Posts);
        Assert.Empty((await host.Exports().ListAsync(EngineTestHost.Alice, new ExportQuery(), Cancellation)).Items);
    }

    [Fact]
    public void AnUnknownFormatIsInvalid()
    {
        var errors = ExportValidation.Validate(EngineTestHost.Day(), (FileFormat)42, DateTimeOffset.UtcNow, new ExportsOptions());

        Assert.Equal(["fileformat"], errors.Keys);
    }

    [Fact]
    public void ThirtyOneDaysIsAllowedAndOneMinuteMoreIsNot()
    {
        var to = new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);
        var now = to.AddHours(1);

        Assert.Empty(ExportValidation.Validate(new TimeRange(to.AddDays(-31), to), FileFormat.Csv, now, new ExportsOptions()));
        Assert.Equal(["timerange"], ExportValidation.Validate(new TimeRange(to.AddDays(-31).AddMinutes(-1), to), FileFormat.Csv, now, new ExportsOptions()).Keys);
    }

    [Fact]
    public async Task TooManySubmissionsAMinuteAreThrottled()
    {
        await using var host = await EngineTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Exports:MaxSubmissionsPerMinute"] = "2" });
        var exports = host.Exports();

        Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(2), FileFormat.Csv, Cancellation));
        Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Csv, Cancellation));
        var third = await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(4), FileFormat.Csv, Cancellation);
        var bobs = await exports.SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(4), FileFormat.Csv, Cancellation);
        await host.TrackAsync();

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(third);
        Assert.InRange(throttled.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Accepted(bobs);
        Assert.Equal(3, host.Upstream.Posts);
    }

    [Fact]
    public async Task ACompletedRequestWithRetainedResultsIsOfferedForReuse()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var range = EngineTestHost.Day();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation)).Id;
        Assert.Null(await exports.FindReusableAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation));
        await host.UpdateAsync(id, e => { e.Status = ExportStatus.Completed; e.CompletedAt = DateTimeOffset.UtcNow.AddHours(-2); });

        Assert.Equal(id, (await exports.FindReusableAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation))?.Id);
        Assert.Null(await exports.FindReusableAsync(EngineTestHost.Bob, range, FileFormat.Csv, Cancellation));
        Assert.Null(await exports.FindReusableAsync(EngineTestHost.Alice, range, FileFormat.Orc, Cancellation));

        await host.UpdateAsync(id, e => e.CompletedAt = DateTimeOffset.UtcNow.AddHours(-25));
        Assert.Null(await exports.FindReusableAsync(EngineTestHost.Alice, range, FileFormat.Csv, Cancellation));
    }
}
