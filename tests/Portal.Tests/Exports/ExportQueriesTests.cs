using System.Net;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportQueriesTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task AnotherUsersRequestIsNotFoundButAnAdminSeesIt()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();

        Assert.Null(await exports.GetAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.False(await exports.CancelAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.False(await exports.DeleteAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.Null(await exports.RerunAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.Empty((await exports.ListAsync(EngineTestHost.Bob, new ExportQuery { AllUsers = true }, Cancellation)).Items);
        Assert.Null(await exports.GetStatisticsAsync(EngineTestHost.Bob, DateTimeOffset.UtcNow.AddDays(-1), Cancellation));

        Assert.NotNull(await exports.GetAsync(EngineTestHost.Admin, id, Cancellation));
        Assert.Single((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true }, Cancellation)).Items);
        Assert.Empty((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery(), Cancellation)).Items);
        Assert.Single((await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { OwnerId = "alice-oid", Search = "ALICE" }, Cancellation)).Items);
        var statistics = await exports.GetStatisticsAsync(EngineTestHost.Admin, DateTimeOffset.UtcNow.AddDays(-1), Cancellation);
        Assert.NotNull(statistics);
        Assert.Equal(1, statistics.OpenNow[ExportStatus.Submitted]);
        // The token request and the POST: every attempt counts against the budget.
        Assert.Equal(2, statistics.Upstream.PollsLastMinute);
    }

    [Fact]
    public async Task TheDashboardsFiguresAreAggregatedByTheDatabase()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var seconds = new[] { 10.0, 20.0, 30.0, 40.0 };
        for (var i = 0; i < seconds.Length; i++)
        {
            var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(i + 2), FileFormat.Parquet, Cancellation)).Id;
            var done = seconds[i];
            await host.UpdateAsync(id, e => { e.Status = ExportStatus.Completed; e.CompletedAt = e.CreatedAt.AddSeconds(done); e.SecondsToComplete = done; });
        }
        var failed = Accepted(await exports.SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.UpdateAsync(failed, e => { e.Status = ExportStatus.Failed; e.LastError = "Broken."; });
        Accepted(await exports.SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(3), FileFormat.Csv, Cancellation));

        var statistics = (await exports.GetStatisticsAsync(EngineTestHost.Admin, DateTimeOffset.UtcNow.AddDays(-1), Cancellation))!;

        var parquet = Assert.Single(statistics.DurationsByFormat);
        Assert.Equal((FileFormat.Parquet, 4, 25.0, 37.0, 38.5), (parquet.Format, parquet.Count, parquet.P50Seconds, parquet.P90Seconds, parquet.P95Seconds));
        Assert.Equal([new FailureReasonCount("Broken.", 1)], statistics.FailuresByReason);
        Assert.Equal(1, statistics.OpenNow[ExportStatus.Queued]);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.Equal(4, statistics.RequestsPerDay.Single(d => d.Day == today && d.Status == ExportStatus.Completed).Count);
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
}
