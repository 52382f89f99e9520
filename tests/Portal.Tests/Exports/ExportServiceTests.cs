using System.Net;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportServiceTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task SubmitStoresTheRequestAsSubmittedWithTheUpstreamId()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Accepted("uuid-42"));
        await using var host = await EngineTestHost.StartAsync(upstream);

        var export = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Json, Cancellation));

        Assert.Equal(ExportStatus.Submitted, export.Status);
        var row = await host.RowAsync(export.Id);
        Assert.Equal("uuid-42", row.RequestUuid);
        Assert.Equal("alice@example.test", row.OwnerEmail);
        Assert.Null(row.LeaseOwner);
        Assert.NotNull(row.NextPollAt);
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted], row.Events.OrderBy(e => e.Id).Select(e => e.To));
    }

    [Fact]
    public async Task ATransientUpstreamFailureLeavesTheRequestQueued()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable", retryAfter: 30));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var before = DateTimeOffset.UtcNow;

        var export = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));

        Assert.Equal(ExportStatus.Queued, export.Status);
        var row = await host.RowAsync(export.Id);
        Assert.Null(row.RequestUuid);
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

        var export = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));

        Assert.Equal(ExportStatus.Failed, export.Status);
        Assert.Equal("The upstream rejected the export: fileformat: Unknown format.", export.LastError);
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
    public async Task ThirtyOneDaysIsAllowed()
    {
        var to = DateTimeOffset.UtcNow.Date;
        var errors = ExportValidation.Validate(new TimeRange(to.AddDays(-31), to), FileFormat.Csv, DateTimeOffset.UtcNow, new ExportsOptions());

        Assert.Empty(errors);
        await Task.CompletedTask;
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

        var throttled = Assert.IsType<SubmitOutcome.Throttled>(third);
        Assert.InRange(throttled.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        Accepted(bobs);
        Assert.Equal(3, host.Upstream.Posts);
    }

    [Fact]
    public async Task AnotherUsersRequestIsNotFoundButAnAdminSeesIt()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        Assert.Null(await exports.GetAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.False(await exports.CancelAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.False(await exports.DeleteAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.Null(await exports.RerunAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.Null(await exports.GetDownloadAsync(EngineTestHost.Bob, id, 0, Cancellation));
        Assert.Empty((await exports.ListAsync(EngineTestHost.Bob, new ExportQuery { AllUsers = true }, Cancellation)).Items);
        Assert.Null(await exports.GetStatisticsAsync(EngineTestHost.Bob, DateTimeOffset.UtcNow.AddDays(-1), Cancellation));

        Assert.NotNull(await exports.GetAsync(EngineTestHost.Admin, id, Cancellation));
        Assert.Single((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true }, Cancellation)).Items);
        Assert.Empty((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery(), Cancellation)).Items);
        Assert.Single((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { OwnerId = "alice-oid", Search = "ALICE" }, Cancellation)).Items);
        var statistics = await exports.GetStatisticsAsync(EngineTestHost.Admin, DateTimeOffset.UtcNow.AddDays(-1), Cancellation);
        Assert.NotNull(statistics);
        Assert.Equal(1, statistics.OpenNow[ExportStatus.Submitted]);
        Assert.Equal(2, statistics.Upstream.PollsLastMinute); // the token request and the POST
    }

    [Fact]
    public async Task CancelDeleteAndRerunWorkForTheOwner()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Avro, Cancellation)).Id;

        Assert.True(await exports.CancelAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.False(await exports.CancelAsync(EngineTestHost.Alice, id, Cancellation));
        var rerun = Accepted((await exports.RerunAsync(EngineTestHost.Alice, id, Cancellation))!);
        var details = await exports.GetAsync(EngineTestHost.Alice, rerun.Id, Cancellation);
        var cancelled = await exports.GetAsync(EngineTestHost.Alice, id, Cancellation);

        Assert.Equal(ExportStatus.Cancelled, cancelled!.Summary.Status);
        Assert.Null((await host.RowAsync(id)).NextPollAt);
        Assert.Equal(id, details!.RerunOf);
        Assert.Equal(FileFormat.Avro, details.Summary.Format);
        Assert.True(await exports.DeleteAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.Null(await exports.GetAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.Null((await exports.GetAsync(EngineTestHost.Alice, rerun.Id, Cancellation))!.RerunOf);
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

    [Fact]
    public async Task ADownloadRenewsAnExpiringLinkAndIsRecorded()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Accepted("u-7"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.Files.Add(new Portal.Data.ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/old", UrlExpiresAt = DateTimeOffset.UtcNow.AddSeconds(20) });
        });
        var fresh = DateTimeOffset.UtcNow.AddMinutes(15);
        upstream.GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed("u-7", fresh));

        var link = await exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation);

        Assert.NotNull(link);
        Assert.StartsWith("https://files.test/results/u-7/part-00000.csv?expires=", link.Url.ToString(), StringComparison.Ordinal);
        Assert.True(link.ExpiresAt > DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(1, upstream.Gets);
        Assert.Null(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 1, Cancellation));
        Assert.NotNull(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation));
        Assert.Equal(1, upstream.Gets);
        var timeline = (await exports.GetAsync(EngineTestHost.Alice, id, Cancellation))!.Timeline;
        Assert.Equal(2, timeline.Count(e => e.Detail == "Downloaded part-00000.csv."));
    }

    [Theory]
    [InlineData(2_500_000L, 3, new[] { 1_000_000L, 1_000_000L, 500_000L })]
    [InlineData(2_000_000L, 2, new[] { 1_000_000L, 1_000_000L })]
    [InlineData(4_320L, 1, new[] { 4_320L })]
    [InlineData(0L, 1, new[] { 0L })]
    public async Task EachFileStatesItsRowsFromTheTotalAndThePartSize(long total, int parts, long[] expected)
    {
        var files = await CompletedFilesAsync(total, parts);

        Assert.Equal(expected, files.Select(f => f.RowCount!.Value));
        Assert.All(files, f => Assert.Null(f.SizeBytes));
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData(1_500_000L, 3)]
    [InlineData(1_000_000L, 2)]
    [InlineData(1_000_001L, 1)]
    public async Task RowsPerFileAreUnknownWhenTheTotalIsUnknownOrDoesNotFitThePartSize(long? total, int parts)
    {
        var files = await CompletedFilesAsync(total, parts);

        Assert.Equal(parts, files.Count);
        Assert.All(files, f => Assert.Null(f.RowCount));
    }

    private static async Task<IReadOnlyList<ExportFileInfo>> CompletedFilesAsync(long? total, int parts)
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.RowCount = total;
            for (var part = 0; part < parts; part++)
            {
                e.Files.Add(new Portal.Data.ExportFile { Part = part, Name = $"part-{part:D5}.csv", Url = "https://files.test/f", UrlExpiresAt = DateTimeOffset.UtcNow.AddMinutes(10) });
            }
        });
        return (await exports.GetAsync(EngineTestHost.Alice, id, Cancellation))!.Files;
    }

    [Fact]
    public async Task APurgedResultTurnsTheRequestExpired()
    {
        var upstream = new StubUpstream();
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.Files.Add(new Portal.Data.ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/old", UrlExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-5) });
        });
        upstream.GetFallback = _ => StubUpstream.Problem(HttpStatusCode.NotFound, "Not Found");

        Assert.Null(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation));

        Assert.Equal(ExportStatus.Expired, (await host.RowAsync(id)).Status);
        Assert.Contains(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation), n => n.Status == ExportStatus.Expired);
    }

    [Fact]
    public async Task NoticesCanBeMarkedRead()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Json(HttpStatusCode.BadRequest, """{"title":"Bad","status":400}""", mediaType: "application/problem+json"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation);

        await exports.MarkNoticesReadAsync(EngineTestHost.Alice, Cancellation);

        Assert.True(Assert.Single(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation)).Read);
        Assert.Empty(await exports.GetNoticesAsync(EngineTestHost.Bob, 10, Cancellation));
    }
}
