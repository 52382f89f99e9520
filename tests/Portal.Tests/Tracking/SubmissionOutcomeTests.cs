using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Upstream;

namespace Portal.Tests.Tracking;

/// <summary>An accepted POST is a paid job: the portal never sends a second one for a request on its own.</summary>
public class SubmissionOutcomeTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<Guid> SubmitAsync(EngineTestHost host) =>
        Assert.IsType<SubmitOutcome.Accepted>(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(now: host.Now), FileFormat.Csv, Cancellation)).Export.Id;

    public static TheoryData<string> AmbiguousAnswers => ["502", "504", "dropped"];

    [Theory]
    [MemberData(nameof(AmbiguousAnswers))]
    public async Task AnAmbiguousAnswerMakesTheRequestUnconfirmedAndItIsNeverPostedAgain(string answer)
    {
        var upstream = new StubUpstream
        {
            PostFallback = _ => answer switch
            {
                "502" => new HttpResponseMessage(HttpStatusCode.BadGateway),
                "504" => new HttpResponseMessage(HttpStatusCode.GatewayTimeout),
                _ => throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
            },
        };
        var time = TestClock.New();
        await using var host = await EngineTestHost.StartAsync(upstream, time: time);
        var id = await SubmitAsync(host);

        await host.TrackAsync();
        for (var i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await host.TrackAsync();
        }

        Assert.Equal(1, upstream.Posts);
        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Unconfirmed, row.Status);
        Assert.Null(row.RequestUuid);
        Assert.Null(row.NextPollAt);
        Assert.Null(row.LeaseOwner);
        var entry = row.Events.OrderBy(e => e.Id).Last();
        Assert.Equal(ExportStatus.Unconfirmed, entry.To);
        Assert.Contains("may have started this export but did not confirm it", entry.Detail, StringComparison.Ordinal);
        Assert.Contains("POST /v3/devices/status {\"timerange\":", entry.Detail, StringComparison.Ordinal);
        Assert.Contains(row.SubmitSentAt!.Value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), entry.Detail, StringComparison.Ordinal);
        Assert.Equal(ExportStatus.Unconfirmed, Assert.Single(await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 5, Cancellation)).Status);
    }

    [Fact]
    public async Task APostWhoseAnswerWasNeverStoredIsUnconfirmedAfterARestartAndNotSentAgain()
    {
        var sent = 0;
        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new StubUpstream
        {
            BeforeAnswer = async (request, _) =>
            {
                if (request.Method == HttpMethod.Post)
                {
                    Interlocked.Increment(ref sent);
                    posted.TrySetResult();
                    await never.Task;
                }
            },
        };
        var directory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "portal.db");
        var crashed = await EngineTestHost.StartAsync(upstream, time: TestClock.New(), databaseFile: database);
        var id = await SubmitAsync(crashed);

        // The first instance sends the POST and hangs before it can store the answer, as if the process died there.
        var hung = crashed.NewTracker().RunPassAsync(Cancellation);
        await Eventually.HoldsAsync(() => posted.Task.IsCompleted, "the first instance sent the POST");

        var later = TestClock.New(TestClock.Start.AddMinutes(10));
        await using (var restarted = await EngineTestHost.StartAsync(upstream, time: later, databaseFile: database))
        {
            await restarted.TrackAsync();
            later.Advance(TimeSpan.FromMinutes(10));
            await restarted.TrackAsync();

            var row = await restarted.RowAsync(id);
            Assert.Equal(ExportStatus.Unconfirmed, row.Status);
            Assert.Contains("stopped before it could store", row.Events.OrderBy(e => e.Id).Last().Detail, StringComparison.Ordinal);
            Assert.Equal(1, sent);
        }

        never.SetException(new HttpRequestException(HttpRequestError.ResponseEnded, "gone"));
        await hung;
        await crashed.DisposeAsync();
        Assert.Equal(1, sent);
    }

    [Fact]
    public async Task SubmitAgainSendsOneMorePostOnlyWhenAPersonAsks()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        upstream.EnqueuePost(_ => StubUpstream.Accepted("u-second"));
        var time = TestClock.New();
        await using var host = await EngineTestHost.StartAsync(upstream, time: time);
        var id = await SubmitAsync(host);
        await host.TrackAsync();
        time.Advance(TimeSpan.FromMinutes(5));
        await host.TrackAsync();
        Assert.Equal(1, upstream.Posts);

        Assert.False(await host.Exports().SubmitAgainAsync(EngineTestHost.Bob, id, Cancellation));
        Assert.True(await host.Exports().SubmitAgainAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.False(await host.Exports().SubmitAgainAsync(EngineTestHost.Alice, id, Cancellation));
        await host.TrackAsync();

        Assert.Equal(2, upstream.Posts);
        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Submitted, row.Status);
        Assert.Equal("u-second", row.RequestUuid);
        Assert.Equal(2, row.SubmitAttempts);
        Assert.Contains(row.Events, e => e.Actor == "Alice" && e.To == ExportStatus.Queued && e.Detail!.Contains("second, billed export", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnconfirmedRequestCanBeCancelled()
    {
        var upstream = new StubUpstream { PostFallback = _ => new HttpResponseMessage(HttpStatusCode.InternalServerError) };
        await using var host = await EngineTestHost.StartAsync(upstream, time: TestClock.New());
        var id = await SubmitAsync(host);
        await host.TrackAsync();

        Assert.True(await host.Exports().CancelAsync(EngineTestHost.Alice, id, Cancellation));

        Assert.Equal(ExportStatus.Cancelled, (await host.RowAsync(id)).Status);
        Assert.False(await host.Exports().SubmitAgainAsync(EngineTestHost.Alice, id, Cancellation));
    }

    [Theory]
    [InlineData("cancel")]
    [InlineData("delete")]
    public async Task AnUpstreamIdThatArrivesAfterACancelOrDeleteIsKept(string action)
    {
        var posted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new StubUpstream
        {
            BeforeAnswer = async (request, _) =>
            {
                if (request.Method == HttpMethod.Post)
                {
                    posted.TrySetResult();
                    await release.Task;
                }
            },
        };
        upstream.EnqueuePost(_ => StubUpstream.Accepted("u-late"));
        await using var host = await EngineTestHost.StartAsync(upstream, time: TestClock.New());
        var id = await SubmitAsync(host);
        var changes = new List<ExportChanged>();
        using var subscription = host.Changes.Subscribe(c => { lock (changes) { changes.Add(c); } return Task.CompletedTask; });

        var pass = host.TrackAsync();
        await Eventually.HoldsAsync(() => posted.Task.IsCompleted, "the tracker sent the POST");
        Assert.True(action == "cancel"
            ? await host.Exports().CancelAsync(EngineTestHost.Alice, id, Cancellation)
            : await host.Exports().DeleteAsync(EngineTestHost.Alice, id, Cancellation));
        release.SetResult();
        await pass;
        await host.DispatchAsync();
        await Eventually.HoldsAsync(() => { lock (changes) { return changes.Exists(c => c.Detail?.Contains("u-late", StringComparison.Ordinal) == true); } }, "the late id was pushed");

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Cancelled, row.Status);
        Assert.Equal("u-late", row.RequestUuid);
        Assert.Null(row.SubmitSentAt);
        Assert.Contains(row.Events, e => e.Detail is { } d && d.Contains("u-late", StringComparison.Ordinal) && d.Contains("after tracking had stopped", StringComparison.Ordinal));
        Assert.Equal(action == "delete", row.DeletedAt is not null);
        Assert.Equal(1, upstream.Posts);
        lock (changes)
        {
            Assert.Contains(changes, c => c.Status == ExportStatus.Cancelled);
            Assert.Equal(action == "delete", changes.TrueForAll(c => c.Deleted));
        }
    }
}
