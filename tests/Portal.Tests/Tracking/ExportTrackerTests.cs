using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Upstream;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Tests.Tracking;

public class ExportTrackerTests
{
    private static readonly Dictionary<string, string?> FastPolicy = new()
    {
        ["Tracking:MinInterval"] = "00:00:00.010",
        ["Tracking:DenseInterval"] = "00:00:00.010",
        ["Tracking:MaxInterval"] = "00:00:00.010",
        ["Tracking:ErrorBackoff"] = "00:00:00.010",
        ["Tracking:ErrorBackoffCap"] = "00:00:00.050",
    };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>
    /// An engine on <paramref name="clock"/>, which only the test moves; the upstream client retries at once, since
    /// a retry's delay would wait for that clock.
    /// </summary>
    private static Task<EngineTestHost> StartAsync(
        FakeTimeProvider clock, StubUpstream? upstream = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        upstream ??= new StubUpstream();
        upstream.Clock = clock;
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["Upstream:RetryDelay"] = "00:00:00" };
        return EngineTestHost.StartAsync(upstream, all, clock, services: services);
    }

    private static async Task<Guid> SubmitAsync(EngineTestHost host, ExportUser? user = null)
    {
        var outcome = await host.Exports().SubmitAsync(user ?? EngineTestHost.Alice, EngineTestHost.Day(now: host.Now), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await host.TrackAsync();
        return id;
    }

    private static Task MakeDueAsync(EngineTestHost host, Guid id) =>
        host.UpdateAsync(id, e => e.NextPollAt = host.Now.AddSeconds(-1));

    [Fact]
    public async Task TheTrackerFollowsARequestToCompletedAndRecordsEachStep()
    {
        var clock = TestClock.New();
        var upstream = new StubUpstream();
        await using var host = await StartAsync(clock, upstream, FastPolicy);
        var id = await SubmitAsync(host);
        var uuid = (await host.RowAsync(id)).RequestUuid!;
        upstream.EnqueueGet(_ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Status("In Progress", uuid)));
        upstream.GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed(uuid, clock.GetUtcNow().AddMinutes(15)));
        await host.DispatchAsync();
        var changes = new ConcurrentQueue<ExportChanged>();
        using var subscription = host.Changes.Subscribe(c => { changes.Enqueue(c); return Task.CompletedTask; });
        var tracker = host.NewTracker();

        await MakeDueAsync(host, id);
        await tracker.RunPassAsync(Cancellation);
        await MakeDueAsync(host, id);
        await tracker.RunPassAsync(Cancellation);
        await host.DispatchAsync();
        await Eventually.HoldsAsync(() => changes.Count == 2, "the subscriber heard both changes");

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Completed, row.Status);
        Assert.Equal(288000, row.RowCount);
        Assert.Equal("part-00000.csv", Assert.Single(row.Files).Name);
        Assert.Null(row.NextPollAt);
        Assert.Null(row.LeaseOwner);
        Assert.Equal(
            [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress, ExportStatus.Completed],
            row.Events.OrderBy(e => e.Id).Select(e => e.To));
        Assert.Equal([ExportStatus.InProgress, ExportStatus.Completed], changes.Select(c => c.Status));
        Assert.Equal(row.Events.OrderBy(e => e.Id).Select(e => e.Id).TakeLast(2), changes.Select(c => c.EventId));
        Assert.True(changes.First().Version < changes.Last().Version, "changes of one export carry increasing versions");
        Assert.Equal(row.Version, changes.Last().Version);
        var notice = Assert.Single(await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation));
        Assert.Equal(ExportStatus.Completed, notice.Status);
        Assert.False(notice.Read);
    }

    [Fact]
    public async Task TwoTrackersOnOneDatabasePollEachRequestOneAtATime()
    {
        var inFlight = new ConcurrentDictionary<string, int>();
        var byTracker = new ConcurrentDictionary<string, int>();
        var overlaps = 0;
        var current = new AsyncLocal<string>();
        var upstream = new StubUpstream
        {
            BeforeAnswer = async (request, cancellationToken) =>
            {
                if (request.Method != HttpMethod.Get)
                {
                    return;
                }
                var uuid = request.RequestUri!.Segments[^1];
                if (inFlight.AddOrUpdate(uuid, 1, (_, n) => n + 1) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }
                byTracker.AddOrUpdate(current.Value ?? "?", 1, (_, n) => n + 1);
                // A call takes a moment, so two holders of one request would overlap in it.
                await Task.Delay(5, cancellationToken);
                inFlight.AddOrUpdate(uuid, 0, (_, n) => n - 1);
            },
        };
        var settings = new Dictionary<string, string?>(FastPolicy) { ["Tracking:BatchSize"] = "4", ["Tracking:PollBudgetPerMinute"] = "100000" };
        var clock = TestClock.New();
        await using var host = await StartAsync(clock, upstream, settings);
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add(await SubmitAsync(host, new ExportUser($"user-{i}", $"User {i}", null, false)));
        }
        var trackers = new[] { host.NewTracker(), host.NewTracker() };
        var passes = 0;

        // Each pass moves the clock by the polling interval, so what was polled is due again for the next.
        await Task.WhenAll(trackers.Select((tracker, n) => Task.Run(async () =>
        {
            current.Value = $"tracker-{n}";
            while (upstream.Gets < 60 && Interlocked.Increment(ref passes) <= 2000)
            {
                await tracker.RunPassAsync(Cancellation);
                clock.Advance(TimeSpan.FromMilliseconds(10));
            }
        }, Cancellation)));

        Assert.Equal(0, overlaps);
        Assert.True(upstream.Gets >= 60, $"only {upstream.Gets} polls in {passes} passes");
        Assert.True(byTracker.GetValueOrDefault("tracker-0") > 0 && byTracker.GetValueOrDefault("tracker-1") > 0, "both trackers polled");
    }

    [Fact]
    public async Task ANewExportIsSubmittedBeforeOverduePollsOfOthers()
    {
        var upstream = new StubUpstream();
        await using var host = await StartAsync(TestClock.New(), upstream, new Dictionary<string, string?> { ["Tracking:MaxParallelCalls"] = "2" });
        var open = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await SubmitAsync(host));
        }
        foreach (var id in open)
        {
            // Far behind: the budget could not poll them on time.
            await host.UpdateAsync(id, e => e.NextPollAt = host.Now.AddMinutes(-30));
        }
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(now: host.Now), FileFormat.Csv, Cancellation);
        var fresh = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        var (postsBefore, getsBefore) = (upstream.Posts, upstream.Gets);

        await host.TrackAsync();

        Assert.Equal(ExportStatus.Submitted, (await host.RowAsync(fresh)).Status);
        Assert.Equal((1, 1), (upstream.Posts - postsBefore, upstream.Gets - getsBefore));
    }

    [Fact]
    public async Task TheTrackerSpreadsItsCallsEvenlyOverTheMinute()
    {
        var time = TestClock.New();
        var upstream = new StubUpstream { Clock = time };
        // 60 calls a minute: five per five seconds, however many requests are due and could be called at once.
        await using var host = await EngineTestHost.StartAsync(upstream, new Dictionary<string, string?>
        {
            ["Tracking:PollBudgetPerMinute"] = "60",
            ["Tracking:MaxParallelCalls"] = "64",
            ["Exports:MaxSubmissionsPerMinute"] = "100",
            ["Upstream:RetryDelay"] = "00:00:00",
        }, time);
        var ids = new List<Guid>();
        for (var i = 0; i < 12; i++)
        {
            var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(i + 2, time.GetUtcNow()), FileFormat.Csv, Cancellation);
            ids.Add(Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id);
        }
        var tracker = host.NewTracker();

        var firstWait = await tracker.RunPassAsync(Cancellation);
        var sentFirst = upstream.Posts;
        var secondWait = await tracker.RunPassAsync(Cancellation);
        var sentBeforeTheStep = upstream.Posts;
        time.Advance(TimeSpan.FromSeconds(5));
        await tracker.RunPassAsync(Cancellation);

        Assert.Equal(5, sentFirst);
        Assert.Equal(TimeSpan.Zero, firstWait);
        Assert.Equal(TimeSpan.FromSeconds(1), secondWait);
        Assert.Equal(5, sentBeforeTheStep);
        Assert.Equal(10, upstream.Posts);
    }

    [Fact]
    public async Task AStormOfPreviewsAndFreshLinksDoesNotDelayTheTrackersPoll()
    {
        var clock = TestClock.New();
        var upstream = new StubUpstream();
        await using var host = await StartAsync(clock, upstream, new Dictionary<string, string?>
        {
            ["Tracking:PollBudgetPerMinute"] = "60",
            ["Upstream:ReservedForTrackerShare"] = "0.3",
        });
        var id = await SubmitAsync(host);
        var uuid = (await host.RowAsync(id)).RequestUuid!;
        clock.Advance(TimeSpan.FromSeconds(5));

        // Users open previews and zips (each part a call) and ask for fresh links, far more than the minute holds.
        var budget = host.Services.GetRequiredService<IUpstreamBudget>();
        var filesRead = 0;
        for (var i = 0; i < 200; i++)
        {
            filesRead += await budget.TryTakeForUserAsync(clock.GetUtcNow(), Cancellation) ? 1 : 0;
        }
        StatusResult freshLink;
        using (UpstreamCallScope.ForUser())
        {
            freshLink = await host.Services.CreateScope().ServiceProvider.GetRequiredService<DeviceStatusClient>().GetStatusAsync(uuid, Cancellation);
        }
        var getsBefore = upstream.Gets;
        await MakeDueAsync(host, id);
        var due = clock.GetUtcNow();
        await host.TrackAsync();
        var polled = await host.RowAsync(id);

        Assert.Equal(42, filesRead);
        Assert.Contains("kept for following exports", Assert.IsType<StatusResult.NotSent>(freshLink).Reason, StringComparison.Ordinal);
        Assert.Equal(getsBefore + 1, upstream.Gets);
        Assert.Equal(1, polled.Polls);
        Assert.Equal(due, clock.GetUtcNow());
    }

    [Fact]
    public async Task ACallTheBudgetHoldsBackIsNeitherAnAttemptNorAnError()
    {
        // Another instance took the last places between this tracker's look at the budget and its call.
        var refusing = new RefusingBudget();
        var clock = TestClock.New();
        await using var host = await StartAsync(clock, services: s => s.AddSingleton<IUpstreamBudget>(refusing));
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(now: clock.GetUtcNow()), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        var eventsBefore = await EventCountAsync(host, id);

        await host.TrackAsync();
        var queued = await host.RowAsync(id);
        await host.UpdateAsync(id, e => { e.Status = ExportStatus.Submitted; e.RequestUuid = "held-back"; e.NextPollAt = clock.GetUtcNow().AddSeconds(-1); });
        await host.TrackAsync();
        var polled = await host.RowAsync(id);

        Assert.Equal((0, 0), (host.Upstream.Posts, host.Upstream.Gets));
        Assert.Equal((ExportStatus.Queued, 0, 0, (string?)null, (DateTimeOffset?)null), (queued.Status, queued.SubmitAttempts, queued.ConsecutiveErrors, queued.LastError, queued.SubmitSentAt));
        Assert.InRange(queued.NextPollAt!.Value - clock.GetUtcNow(), TimeSpan.FromSeconds(20), RefusingBudget.FreeIn);
        Assert.Equal((0, 0, (string?)null), (polled.Polls, polled.ConsecutiveErrors, polled.LastError));
        Assert.True(polled.NextPollAt > clock.GetUtcNow().AddSeconds(20));
        Assert.Equal(eventsBefore, await EventCountAsync(host, id));
    }

    private static async Task<int> EventCountAsync(EngineTestHost host, Guid id)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportEvents.CountAsync(e => e.ExportId == id, Cancellation);
    }

    /// <summary>Says there is room, then refuses every call: what a tracker sees when other instances win the race.</summary>
    private sealed class RefusingBudget : IUpstreamBudget
    {
        public static readonly TimeSpan FreeIn = TimeSpan.FromSeconds(30);

        public int Limit => 100;

        public ValueTask<bool> TryTakeAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

        public int UserLimit => 70;

        public ValueTask<bool> TryTakeForUserAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => ValueTask.FromResult(false);

        public ValueTask<UpstreamBudgetUse> ReadAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new UpstreamBudgetUse(Limit, 0, 0, now + FreeIn));
    }

    [Fact]
    public async Task ARequestOpenLongerThanTheMaximumTimesOut()
    {
        var clock = TestClock.New();
        await using var host = await StartAsync(clock, settings: new Dictionary<string, string?> { ["Tracking:MaxOpenDuration"] = "00:10:00" });
        var id = await SubmitAsync(host);
        clock.Advance(TimeSpan.FromHours(1));
        await MakeDueAsync(host, id);
        var getsBefore = host.Upstream.Gets;

        await host.NewTracker().RunPassAsync(Cancellation);

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.TimedOut, row.Status);
        Assert.Equal(getsBefore, host.Upstream.Gets);
    }

    [Fact]
    public async Task ACompletedRequestBeyondTheUpstreamsRetentionExpires()
    {
        var clock = TestClock.New();
        await using var host = await StartAsync(clock);
        var id = await SubmitAsync(host);
        await host.UpdateAsync(id, e => { e.Status = ExportStatus.Completed; e.NextPollAt = null; e.CompletedAt = clock.GetUtcNow(); });
        clock.Advance(TimeSpan.FromHours(25));

        await host.NewTracker().RunPassAsync(Cancellation);

        Assert.Equal(ExportStatus.Expired, (await host.RowAsync(id)).Status);
        Assert.Contains(await host.Exports().GetNoticesAsync(EngineTestHost.Alice, 5, Cancellation), n => n.Status == ExportStatus.Expired);
    }

    [Fact]
    public async Task A404BeforeCompletionFailsTheRequest()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.NotFound, "Not Found") };
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = await SubmitAsync(host);
        await MakeDueAsync(host, id);

        await host.NewTracker().RunPassAsync(Cancellation);

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Failed, row.Status);
        Assert.Contains("no longer knows", row.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownStatusIsRecordedOnceAndPollingGoesOn()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Status("Paused")) };
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = await SubmitAsync(host);
        var tracker = host.NewTracker();

        for (var i = 0; i < 3; i++)
        {
            await MakeDueAsync(host, id);
            await tracker.RunPassAsync(Cancellation);
        }

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Submitted, row.Status);
        Assert.Equal("Paused", row.UpstreamStatus);
        Assert.NotNull(row.NextPollAt);
        Assert.Single(row.Events, e => e.Detail?.Contains("\"Paused\"", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task TransientErrorsBackOffAndKeepTheRequestOpen()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.TooManyRequests, "Too Many Requests", retryAfter: 120) };
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = await SubmitAsync(host);
        await MakeDueAsync(host, id);
        var before = host.Now;

        await host.NewTracker().RunPassAsync(Cancellation);

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Submitted, row.Status);
        Assert.Equal(1, row.ConsecutiveErrors);
        Assert.Contains("429", row.LastError, StringComparison.Ordinal);
        Assert.True(row.NextPollAt >= before.AddSeconds(120), "the Retry-After is honoured");
    }

    [Fact]
    public async Task WatchersHearOfTheFirstFailureOfARunAndOfItsEndButNotOfEachRetry()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable") };
        // Nine failed attempts would open the circuit breaker and pause the recovery pass: not what this test is about.
        await using var host = await StartAsync(TestClock.New(), upstream, new Dictionary<string, string?> { ["Upstream:CircuitBreaker:MinimumThroughput"] = "1000" });
        var id = await SubmitAsync(host);
        var uuid = (await host.RowAsync(id)).RequestUuid!;
        await host.DispatchAsync();
        var changes = new ConcurrentQueue<ExportChanged>();
        using var subscription = host.Changes.Subscribe(c => { changes.Enqueue(c); return Task.CompletedTask; });
        var tracker = host.NewTracker();

        for (var pass = 0; pass < 3; pass++)
        {
            await MakeDueAsync(host, id);
            await tracker.RunPassAsync(Cancellation);
        }
        var failing = await host.RowAsync(id);
        upstream.GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Status("Submitted", uuid));
        await MakeDueAsync(host, id);
        await tracker.RunPassAsync(Cancellation);
        await host.DispatchAsync();
        await Eventually.HoldsAsync(() => changes.Count == 2, "the subscriber heard the trouble and its end");

        Assert.Equal(3, failing.ConsecutiveErrors);
        Assert.Contains("503", failing.LastError, StringComparison.Ordinal);
        var recovered = await host.RowAsync(id);
        Assert.Null(recovered.LastError);
        Assert.Equal(ExportStatus.Submitted, recovered.Status);
        Assert.Collection(changes,
            trouble => Assert.Contains("503", trouble.Detail, StringComparison.Ordinal),
            over => Assert.Equal(UpstreamAnswers.RecoveredDetail, over.Detail));
        Assert.Equal(changes.Select(c => c.EventId), recovered.Events.OrderBy(e => e.Id).Select(e => e.Id).TakeLast(2));
        Assert.All(changes, c => Assert.Equal((ExportStatus.Submitted, ExportStatus.Submitted), (c.Previous!.Value, c.Status)));
    }

    [Fact]
    public async Task ABadRowDoesNotStopThePass()
    {
        var upstream = new StubUpstream();
        await using var host = await StartAsync(TestClock.New(), upstream);
        var bad = await SubmitAsync(host, EngineTestHost.Alice);
        var good = await SubmitAsync(host, EngineTestHost.Bob);
        var badUuid = (await host.RowAsync(bad)).RequestUuid!;
        var goodUuid = (await host.RowAsync(good)).RequestUuid!;
        upstream.BeforeAnswer = (request, _) => request.RequestUri!.AbsolutePath.EndsWith(badUuid, StringComparison.Ordinal)
            ? throw new InvalidOperationException("a row the portal cannot handle")
            : Task.CompletedTask;
        upstream.GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed(goodUuid, host.Now.AddMinutes(15)));
        await MakeDueAsync(host, bad);
        await MakeDueAsync(host, good);
        var before = (await host.RowAsync(bad)).Status;

        await host.NewTracker().RunPassAsync(Cancellation);

        Assert.Equal(ExportStatus.Completed, (await host.RowAsync(good)).Status);
        var parked = await host.RowAsync(bad);
        Assert.Equal(before, parked.Status);
        Assert.Null(parked.LeaseOwner);
        Assert.True(parked.NextPollAt > host.Now);
    }

    [Fact]
    public async Task StoppingTheTrackerReleasesItsLeases()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstream = new StubUpstream();
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = await SubmitAsync(host);
        upstream.BeforeAnswer = async (_, cancellationToken) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        };
        await MakeDueAsync(host, id);
        var tracker = host.NewTracker();

        await tracker.StartAsync(Cancellation);
        await Eventually.HoldsAsync(() => entered.Task.IsCompleted, "the tracker's first call reached the device platform");
        Assert.Equal(tracker.InstanceId, (await host.RowAsync(id)).LeaseOwner);
        await tracker.StopAsync(Cancellation);

        var row = await host.RowAsync(id);
        Assert.Null(row.LeaseOwner);
        Assert.Equal(ExportStatus.Submitted, row.Status);
    }

    [Fact]
    public async Task AQueuedRequestIsSubmittedByTheTrackerOnce()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable", retryAfter: 1));
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = await SubmitAsync(host);
        Assert.Equal(ExportStatus.Queued, (await host.RowAsync(id)).Status);
        await MakeDueAsync(host, id);
        var tracker = host.NewTracker();

        await tracker.RunPassAsync(Cancellation);
        await tracker.RunPassAsync(Cancellation);

        var row = await host.RowAsync(id);
        Assert.NotNull(row.RequestUuid);
        Assert.True(row.Status is ExportStatus.Submitted or ExportStatus.InProgress);
        Assert.Equal(2, upstream.Posts);
        Assert.Equal(2, row.SubmitAttempts);
    }

    [Fact]
    public async Task AQueuedRequestIsSentByOneTrackerOnlyWhileItsPostIsUnderWay()
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
        await using var host = await StartAsync(TestClock.New(), upstream);
        var id = Assert.IsType<SubmitOutcome.Accepted>(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(now: host.Now), FileFormat.Csv, Cancellation)).Export.Id;

        var first = host.NewTracker().RunPassAsync(Cancellation);
        await Eventually.HoldsAsync(() => posted.Task.IsCompleted, "the first tracker sent the POST");
        await host.NewTracker().RunPassAsync(Cancellation);
        release.SetResult();
        await first;

        Assert.Equal(1, upstream.Posts);
        Assert.Equal(ExportStatus.Submitted, (await host.RowAsync(id)).Status);
    }
}
