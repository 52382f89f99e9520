using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Testing;
using Portal.Upstream;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Exports;

/// <summary>Each test has its own portal and simulator: they change faults and settings.</summary>
public class UpstreamFailureTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly ExportUser Alice = User("Alice");

    [Fact]
    public async Task A429StormIsRiddenOutAndNoRequestIsPolledBeforeItsRetryAfter()
    {
        await using var portal = await PortalFactory.StartAsync(
            options =>
            {
                options.Faults.Quota = 4;
                options.Faults.QuotaWindow = TimeSpan.FromSeconds(2);
                options.MinimumPreparationTime = TimeSpan.FromSeconds(1);
            });
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(Accepted(await portal.Exports().SubmitAsync(Alice, Day(i + 2), FileFormat.Csv, Cancellation)));
        }

        foreach (var id in ids)
        {
            await portal.WaitForStatusAsync(id, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        }

        var calls = portal.Upstream.Calls.ToList();
        Assert.Contains(calls, c => c.Status == HttpStatusCode.TooManyRequests);
        AssertRetryAfterHonoured(calls);
    }

    [Fact]
    public async Task ARetryAfterOnAStatusAnswerIsHonoured()
    {
        await using var portal = await PortalFactory.StartAsync(options =>
        {
            options.MinimumPreparationTime = TimeSpan.FromSeconds(3);
            options.Faults.InProgressRetryAfterSeconds = 2;
        });

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Csv, Cancellation));

        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var calls = portal.Upstream.Calls.ToList();
        Assert.Contains(calls, c => c.Status == HttpStatusCode.OK && c.RetryAfter == TimeSpan.FromSeconds(2));
        AssertRetryAfterHonoured(calls);
    }

    [Fact]
    public async Task A429WithAnHttpDatePausesEveryUpstreamCallUntilThatDate()
    {
        // One /v3 call per window: the first poll after the submit is answered 429 with a date a few seconds ahead.
        await using var portal = await PortalFactory.StartAsync(
            options =>
            {
                options.Faults.Quota = 1;
                options.Faults.QuotaWindow = TimeSpan.FromSeconds(6);
                options.Faults.RetryAfterAsHttpDate = true;
                options.MinimumPreparationTime = TimeSpan.FromSeconds(2);
            },
            new Dictionary<string, string?> { ["Upstream:MaxInlineRetryAfter"] = "00:00:00" });
        var monitor = portal.Services.GetRequiredService<UpstreamMonitor>();
        var first = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Csv, Cancellation));
        var paused = await WaitForPauseAsync(monitor);

        // While paused: another user's submit (a POST), a token request and the tracker's polls all stay home.
        var second = Accepted(await portal.Exports().SubmitAsync(User("Bob"), Day(3), FileFormat.Csv, Cancellation));
        var tokens = portal.Services.GetRequiredService<UpstreamTokenProvider>();
        var cached = await tokens.GetTokenAsync(rejected: null, Cancellation);
        await Assert.ThrowsAsync<UpstreamCallNotSentException>(() => tokens.GetTokenAsync(rejected: cached, Cancellation));
        Assert.True(DateTimeOffset.UtcNow < paused.Until, "the calls above were made during the pause");
        portal.Simulator.Reconfigure(o => o.Faults.Quota = 0);
        await portal.WaitForStatusAsync(first, ExportStatus.Completed);
        await portal.WaitForStatusAsync(second, ExportStatus.Completed);

        var calls = portal.Upstream.Calls.ToList();
        var throttled = calls.Where(c => c.Status == HttpStatusCode.TooManyRequests).MinBy(c => c.AnsweredAt)!;
        Assert.Equal("the device platform answered 429 Too Many Requests", paused.Reason);
        Assert.DoesNotContain(calls, c => c.SentAt > throttled.AnsweredAt && c.SentAt < paused.Until);
        Assert.Contains(calls, c => c.SentAt >= paused.Until && c.Method == "POST" && !c.IsToken);
        Assert.Equal(2, portal.Upstream.Posts(HttpStatusCode.Accepted));
    }

    private static async Task<(DateTimeOffset Until, string Reason)> WaitForPauseAsync(UpstreamMonitor monitor)
    {
        var snapshot = await Eventually.ReturnsAsync(
            () => monitor.SnapshotAsync(), s => s is { PausedUntil: not null, PauseReason: not null }, "the upstream to be paused");
        return (snapshot.PausedUntil!.Value, snapshot.PauseReason!);
    }

    /// <summary>No status request follows an answer carrying <c>Retry-After</c> sooner than it said.</summary>
    private static void AssertRetryAfterHonoured(List<UpstreamRecorder.UpstreamCall> calls)
    {
        foreach (var path in calls.Where(c => c.Method == "GET").Select(c => c.Path).Distinct())
        {
            var mine = calls.Where(c => c.Path == path).OrderBy(c => c.SentAt).ToList();
            foreach (var (previous, next) in mine.Zip(mine.Skip(1)))
            {
                if (previous.RetryAfter is { } retryAfter)
                {
                    Assert.True(next.SentAt >= previous.AnsweredAt + retryAfter - TimeSpan.FromMilliseconds(20),
                        $"{path} was polled {(next.SentAt - previous.AnsweredAt).TotalSeconds:0.00} s after a Retry-After of {retryAfter.TotalSeconds} s");
                }
            }
        }
    }

    [Fact]
    public async Task A503StormKeepsTheRequestQueuedUntilTheUpstreamRecovers()
    {
        await using var portal = await PortalFactory.StartAsync(options =>
        {
            options.Faults.ServiceUnavailableRate = 1;
            options.Faults.ServiceUnavailableRetryAfterSeconds = 1;
        });

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Parquet, Cancellation));
        Assert.Equal(ExportStatus.Queued, (await portal.RowAsync(id)).Status);
        // The attempt is stored before it is sent: wait for the second answer, not the second attempt.
        await portal.WaitForAsync(id, _ => portal.Upstream.Posts(HttpStatusCode.ServiceUnavailable) >= 2);
        portal.Simulator.Reconfigure(options => options.Faults.ServiceUnavailableRate = 0);

        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        Assert.Equal(1, portal.Upstream.Posts(HttpStatusCode.Accepted));
        Assert.True(portal.Upstream.Posts(HttpStatusCode.ServiceUnavailable) >= 2);
    }

    [Fact]
    public async Task IntermittentStatus503sDoNotStopARequest()
    {
        await using var portal = await PortalFactory.StartAsync(options =>
        {
            options.MinimumPreparationTime = TimeSpan.FromSeconds(1);
            options.Faults.ServiceUnavailableRate = 0.4;
            options.Faults.ServiceUnavailableRetryAfterSeconds = 1;
        });

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Json, Cancellation));

        await portal.WaitForStatusAsync(id, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        Assert.Equal(1, portal.Upstream.Posts(HttpStatusCode.Accepted));
    }

    [Fact]
    public async Task ALostJobFails()
    {
        await using var portal = await PortalFactory.StartAsync(options => options.Faults.LostRate = 1);

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Csv, Cancellation));

        var row = await portal.WaitForStatusAsync(id, ExportStatus.Failed);
        Assert.Equal("The device platform no longer knows this export.", row.LastError);
        Assert.Contains(await portal.Exports().GetNoticesAsync(Alice, 5, Cancellation), n => n.Status == ExportStatus.Failed);
    }

    [Fact]
    public async Task AStuckJobTimesOut()
    {
        await using var portal = await PortalFactory.StartAsync(
            options => options.Faults.NeverCompleteRate = 1,
            new Dictionary<string, string?> { ["Tracking:MaxOpenDuration"] = "00:00:02" });

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Orc, Cancellation));

        var row = await portal.WaitForStatusAsync(id, ExportStatus.TimedOut);
        Assert.Equal(ExportStatus.InProgress, row.Events.OrderBy(e => e.Id).Last().From);
    }

    [Fact]
    public async Task ExpiredTokensAreRenewedAndTheCallRetriedOnce()
    {
        await using var portal = await PortalFactory.StartAsync(options =>
        {
            options.MinimumPreparationTime = TimeSpan.FromSeconds(2);
            options.Faults.TokenExpiresEarlyAfter = TimeSpan.FromMilliseconds(500);
        });

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Avro, Cancellation));

        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var calls = portal.Upstream.Calls.Where(c => !c.IsToken).ToList();
        Assert.Contains(calls, c => c.Status == HttpStatusCode.Unauthorized);
        Assert.All(calls.Zip(calls.Skip(1)).Where(pair => pair.First.Status == HttpStatusCode.Unauthorized),
            pair => Assert.NotEqual(HttpStatusCode.Unauthorized, pair.Second.Status));
    }

    [Fact]
    public async Task AnExpiredUrlIsRenewedAndAPurgedResultExpiresTheRequest()
    {
        await using var portal = await PortalFactory.StartAsync(options => options.UrlLifetime = TimeSpan.FromSeconds(1));
        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.TextFile, Cancellation));
        var completed = await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var stored = Assert.Single(completed.Files);
        // The upstream signs afresh once a second has passed; a one-second lifetime means the stored URL is stale then.
        await Eventually.HoldsAsync(() => DateTimeOffset.UtcNow > stored.UrlExpiresAt, "the stored URL to expire");

        var renewed = await portal.Exports().GetDownloadAsync(Alice, id, 0, Cancellation);

        Assert.NotNull(renewed);
        Assert.NotEqual(stored.Url, renewed.Url.ToString());
        Assert.True(renewed.ExpiresAt > stored.UrlExpiresAt);
        using (var http = new HttpClient())
        using (var file = await http.GetAsync(renewed.Url, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        }

        portal.Simulator.Reconfigure(options => options.Retention = TimeSpan.Zero);
        await Eventually.HoldsAsync(
            async () =>
            {
                if ((await portal.RowAsync(id)).Status == ExportStatus.Expired)
                {
                    return true;
                }
                await portal.Exports().GetDownloadAsync(Alice, id, 0, Cancellation);
                return false;
            },
            "the purge to be noticed");
        Assert.Null(await portal.Exports().GetDownloadAsync(Alice, id, 0, Cancellation));
        Assert.Null(await portal.Exports().FindReusableAsync(Alice, Day(), FileFormat.TextFile, Cancellation));
    }

    [Fact]
    public async Task UnknownStatusesAreRecordedAndPollingGoesOn()
    {
        await using var portal = await PortalFactory.StartAsync(options => options.MinimumPreparationTime = TimeSpan.FromSeconds(1));
        portal.Upstream.ReplaceOpenStatusWith = "Paused";

        var id = Accepted(await portal.Exports().SubmitAsync(Alice, Day(), FileFormat.Csv, Cancellation));
        var paused = await portal.WaitForAsync(id, row => row.UpstreamStatus == "Paused");
        portal.Upstream.ReplaceOpenStatusWith = null;

        Assert.True(paused.Status.IsOpen());
        Assert.Contains(paused.Events, e => e.Detail?.Contains("unknown status \"Paused\"", StringComparison.Ordinal) == true);
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
    }

    [Fact]
    public async Task APortalRestartMidwayResumesWithoutASecondPost()
    {
        await using var simulator = await PortalFactory.StartSimulatorAsync(options => options.MinimumPreparationTime = TimeSpan.FromSeconds(3));
        var database = Path.Combine(Path.GetTempPath(), "portal-integration", $"restart-{Guid.NewGuid():N}.db");
        var recorder = new UpstreamRecorder();
        Guid id;
        await using (var first = await PortalFactory.StartAsync(simulator: simulator, databasePath: database, recorder: recorder))
        {
            id = Accepted(await first.Exports().SubmitAsync(Alice, Day(), FileFormat.Parquet, Cancellation));
            await first.WaitForAsync(id, row => row.RequestUuid is not null);
        }

        var second = await PortalFactory.StartAsync(simulator: simulator, databasePath: database, recorder: recorder);
        try
        {
            var resumed = await second.WaitForStatusAsync(id, ExportStatus.Completed);

            Assert.Equal(1, recorder.Posts());
            Assert.Null(resumed.LeaseOwner);
        }
        finally
        {
            await second.DisposeAsync();
        }
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(database)!, Path.GetFileName(database) + "*"))
        {
            File.Delete(file);
        }
    }
}
