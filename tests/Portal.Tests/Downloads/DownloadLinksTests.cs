using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Downloads;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Downloads;

public class DownloadLinksTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task ADownloadRenewsAnExpiringLinkAndIsRecorded()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Accepted("u-7"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
        var getsBefore = upstream.Gets;
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
        Assert.Equal(getsBefore + 1, upstream.Gets);
        Assert.Null(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 1, Cancellation));
        Assert.NotNull(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation));
        Assert.Equal(getsBefore + 1, upstream.Gets);
        var timeline = (await exports.GetAsync(EngineTestHost.Alice, id, Cancellation))!.Timeline;
        Assert.Equal(2, timeline.Count(e => e.Detail == "Downloaded part-00000.csv."));
    }

    [Fact]
    public async Task TwentyDownloadsOfOneExportStartedTogetherAllGetTheirLinkAndAreEachRecorded()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.Files.Add(new Portal.Data.ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/f", UrlExpiresAt = DateTimeOffset.UtcNow.AddMinutes(10) });
        });

        var links = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation), Cancellation)));

        Assert.All(links, Assert.NotNull);
        var timeline = (await exports.GetAsync(EngineTestHost.Alice, id, Cancellation))!.Timeline;
        Assert.Equal(20, timeline.Count(e => e.Detail == "Downloaded part-00000.csv."));
    }

    [Fact]
    public async Task APurgedResultTurnsTheRequestExpired()
    {
        var upstream = new StubUpstream();
        await using var host = await EngineTestHost.StartAsync(upstream);
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
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
    public async Task OnlyTheOwnerAndAdminsGetALinkToACompletedExport()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.Files.Add(new Portal.Data.ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/f", UrlExpiresAt = DateTimeOffset.UtcNow.AddMinutes(10) });
        });

        Assert.NotNull(await exports.GetDownloadAsync(EngineTestHost.Alice, id, 0, Cancellation));
        Assert.NotNull(await exports.GetDownloadAsync(EngineTestHost.Admin, id, 0, Cancellation));
        Assert.Null(await exports.GetDownloadAsync(EngineTestHost.Bob, id, 0, Cancellation));
    }


    [Fact]
    public async Task APreviewOfAPurgedResultTurnsTheRequestExpired()
    {
        var clock = TestClock.New();
        var upstream = new StubUpstream { Clock = clock };
        await using var host = await EngineTestHost.StartAsync(upstream, time: clock);
        var id = await CompletedAsync(host, clock, linkLeft: TimeSpan.FromSeconds(20));
        upstream.GetFallback = _ => StubUpstream.Problem(HttpStatusCode.NotFound, "Not Found");

        var files = await PreviewFilesAsync(host, EngineTestHost.Alice, id);

        Assert.Null(files);
        Assert.Equal(ExportStatus.Expired, (await host.RowAsync(id)).Status);
        Assert.Contains(await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation), n => n.Status == ExportStatus.Expired);
    }

    [Fact]
    public async Task APreviewsRenewalThatMeetsAConcurrentChangeIsRetried()
    {
        var clock = TestClock.New();
        var upstream = new StubUpstream { Clock = clock };
        await using var host = await EngineTestHost.StartAsync(upstream, time: clock);
        var id = await CompletedAsync(host, clock, linkLeft: TimeSpan.FromSeconds(20));
        upstream.GetFallback = _ => StubUpstream.Problem(HttpStatusCode.NotFound, "Not Found");
        var statusCalls = 0;
        upstream.BeforeAnswer = async (request, _) =>
        {
            // While the first renewal waits for the device platform, someone else changes the row.
            if (request.Method == HttpMethod.Get && Interlocked.Increment(ref statusCalls) == 1)
            {
                await host.UpdateAsync(id, e => e.Version++);
            }
        };

        var files = await PreviewFilesAsync(host, EngineTestHost.Alice, id);

        Assert.Null(files);
        Assert.Equal(2, statusCalls);
        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Expired, row.Status);
        Assert.Single(row.Events, e => e.To == ExportStatus.Expired);
    }

    /// <summary>A completed export of Alice's whose one link lapses in <paramref name="linkLeft"/>.</summary>
    private static async Task<Guid> CompletedAsync(EngineTestHost host, TimeProvider clock, TimeSpan linkLeft)
    {
        host.Upstream.EnqueuePost(_ => StubUpstream.Accepted("u-7"));
        var id = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(now: clock.GetUtcNow()), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.Files.Add(new Portal.Data.ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/old", UrlExpiresAt = clock.GetUtcNow() + linkLeft });
        });
        return id;
    }

    /// <summary>The files a preview (or the zip) works on, their links renewed as the preview renews them.</summary>
    private static async Task<IReadOnlyList<Uri>?> PreviewFilesAsync(EngineTestHost host, ExportUser user, Guid id)
    {
        using var scope = host.Services.CreateScope();
        var files = await scope.ServiceProvider.GetRequiredService<IDownloadLinks>().GetFilesAsync(user, id, "Preview", Cancellation);
        return files is null ? null : [.. files.Files.Select(f => f.Url)];
    }
}
