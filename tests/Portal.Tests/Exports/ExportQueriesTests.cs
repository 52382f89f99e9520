using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task TheAdminGridCountsUpToTenThousandPastThePageStartAndSaysWhenTheTotalIsALowerBound()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        await AddCompletedAsync(host, EngineTestHost.Bob, ExportQueries.CountAhead + 30);
        Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));
        var everyone = new ExportQuery { AllUsers = true };

        var first = await exports.ListAsync(EngineTestHost.Admin, everyone, Cancellation);
        var pastTheCap = await exports.ListAsync(EngineTestHost.Admin, everyone with { Page = ExportQueries.CountAhead / 25 }, Cancellation);
        var last = await exports.ListAsync(EngineTestHost.Admin, everyone with { Page = (ExportQueries.CountAhead / 25) + 1 }, Cancellation);
        var own = await exports.ListAsync(EngineTestHost.Alice, new ExportQuery(), Cancellation);

        Assert.Equal((25, ExportQueries.CountAhead, true), (first.Items.Count, first.TotalCount, first.TotalIsLowerBound));
        Assert.Equal((25, ExportQueries.CountAhead + 31, false), (pastTheCap.Items.Count, pastTheCap.TotalCount, pastTheCap.TotalIsLowerBound));
        Assert.Equal((6, ExportQueries.CountAhead + 31, false), (last.Items.Count, last.TotalCount, last.TotalIsLowerBound));
        Assert.Equal((1, 1, false), (own.Items.Count, own.TotalCount, own.TotalIsLowerBound));
    }

    [Fact]
    public async Task RowsThatTieOnTheSortedColumnFollowTheSortsDirection()
    {
        await using var host = await EngineTestHost.StartAsync();
        var ids = await AddCompletedAsync(host, EngineTestHost.Alice, 3);
        var byFormat = new ExportQuery { SortBy = ExportSort.Format, Descending = false };

        var ascending = await host.Exports().ListAsync(EngineTestHost.Alice, byFormat, Cancellation);
        var descending = await host.Exports().ListAsync(EngineTestHost.Alice, byFormat with { Descending = true }, Cancellation);

        Assert.Equal(ids, ascending.Items.Select(e => e.Id));
        Assert.Equal(ids.AsEnumerable().Reverse(), descending.Items.Select(e => e.Id));
    }

    /// <summary>Completed CSV requests of one owner, written straight to the database (the engine would take minutes), in id order.</summary>
    private static async Task<List<Guid>> AddCompletedAsync(EngineTestHost host, ExportUser owner, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var range = EngineTestHost.Day();
        var rows = Enumerable.Range(0, count).Select(i =>
        {
            var created = now.AddSeconds(-count + i);
            return new Portal.Data.ExportRequest
            {
                Id = Guid.CreateVersion7(created),
                OwnerId = owner.Id,
                OwnerName = owner.Name,
                RangeFrom = range.From,
                RangeTo = range.To,
                Format = FileFormat.Csv,
                Status = ExportStatus.Completed,
                CreatedAt = created,
                CreatedDay = DateOnly.FromDateTime(created.UtcDateTime),
                UpdatedAt = created,
                CompletedAt = created,
            };
        }).ToList();
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<Portal.Data.PortalDbContext>>().CreateDbContextAsync(Cancellation);
        db.ExportRequests.AddRange(rows);
        await db.SaveChangesAsync(Cancellation);
        return [.. rows.Select(r => r.Id).Order()];
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
