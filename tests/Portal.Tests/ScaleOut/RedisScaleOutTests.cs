using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Exports;
using Portal.Hosting.ScaleOut;
using Portal.Notifications;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;
using Portal.Upstream;

namespace Portal.Tests.ScaleOut;

/// <summary>Two instances on one real Redis (<c>PORTAL_TEST_REDIS</c>) share what must not be kept per instance.</summary>
public sealed class RedisScaleOutTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly string prefix = TestRedis.NewPrefix();
    private readonly string databaseFile = Path.Combine(Path.GetTempPath(), "portal-tests", $"scale-out-{Guid.NewGuid():N}.db");
    private readonly List<EngineTestHost> hosts = [];

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabases.Drop(databaseFile);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(databaseFile)!, Path.GetFileName(databaseFile) + "*"))
        {
            File.Delete(file);
        }
    }

    /// <summary>An instance on the shared database and Redis, with its Redis listeners started (the host itself is not).</summary>
    private async Task<EngineTestHost> InstanceAsync(Dictionary<string, string?>? settings = null, TimeProvider? time = null, StubUpstream? upstream = null)
    {
        var host = await EngineTestHost.StartAsync(upstream, TestRedis.Settings(prefix, settings), time, databaseFile);
        hosts.Add(host);
        foreach (var listener in host.Services.GetServices<IHostedService>().Where(s => s is RedisChangeListener or RedisTrackerSignal))
        {
            await listener.StartAsync(Cancellation);
        }
        return host;
    }

    [Fact]
    public async Task TwoInstancesTogetherNeverTakeMoreThanTheOneBudget()
    {
        var time = new FakeTimeProvider(Start);
        var settings = new Dictionary<string, string?> { ["Tracking:PollBudgetPerMinute"] = "20" };
        var a = (await InstanceAsync(settings, time)).Services.GetRequiredService<IUpstreamBudget>();
        var b = (await InstanceAsync(settings, time)).Services.GetRequiredService<IUpstreamBudget>();
        Assert.IsType<RedisUpstreamBudget>(a);

        var takenByA = await TakeAsync(a, 12);
        time.Advance(TimeSpan.FromSeconds(10));
        var takenByB = await TakeAsync(b, 12);
        var seenByA = await a.ReadAsync(time.GetUtcNow(), Cancellation);
        var seenByB = await b.ReadAsync(time.GetUtcNow(), Cancellation);

        Assert.Equal((12, 8, 0), (takenByA, takenByB, seenByA.Available));
        Assert.Equal(Start.AddMinutes(1), seenByB.NextFreeAt);
        Assert.Equal(20, seenByA.UsedInLastMinute);
        Assert.Equal(8, seenByA.UsedLately);

        // A minute after A's calls their twelve places are free again: both instances race for them at once.
        time.Advance(TimeSpan.FromSeconds(50));
        var racing = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () => await (i % 2 == 0 ? a : b).TryTakeAsync(time.GetUtcNow(), Cancellation), Cancellation)));
        var raced = racing.Count(taken => taken);
        Assert.InRange(raced, 1, 12);
        Assert.True((await b.ReadAsync(time.GetUtcNow(), Cancellation)).UsedInLastMinute <= 20, "the window never holds more than the budget");

        async Task<int> TakeAsync(IUpstreamBudget budget, int calls)
        {
            var taken = 0;
            for (var i = 0; i < calls; i++)
            {
                taken += await budget.TryTakeAsync(time.GetUtcNow(), Cancellation) ? 1 : 0;
            }
            return taken;
        }
    }

    [Fact]
    public async Task UsersCallsOnTwoInstancesTogetherLeaveTheTrackersReservedShare()
    {
        var time = new FakeTimeProvider(Start);
        var settings = new Dictionary<string, string?> { ["Tracking:PollBudgetPerMinute"] = "20", ["Upstream:ReservedForTrackerShare"] = "0.25" };
        var a = (await InstanceAsync(settings, time)).Services.GetRequiredService<IUpstreamBudget>();
        var b = (await InstanceAsync(settings, time)).Services.GetRequiredService<IUpstreamBudget>();

        var storm = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? a : b).TryTakeForUserAsync(time.GetUtcNow(), Cancellation), Cancellation)));
        var trackerCalls = 0;
        for (var i = 0; i < 10; i++)
        {
            trackerCalls += await (i % 2 == 0 ? a : b).TryTakeAsync(time.GetUtcNow(), Cancellation) ? 1 : 0;
        }
        var use = await a.ReadAsync(time.GetUtcNow(), Cancellation);

        Assert.Equal(15, a.UserLimit);
        Assert.InRange(storm.Count(taken => taken), 1, 15);
        Assert.InRange(trackerCalls, 5, 10);
        Assert.Equal(trackerCalls, use.UsedLately);
        Assert.True(use.UsedInLastMinute <= 20, "the window never holds more than the budget");
    }

    [Fact]
    public async Task A429SeenByOneInstancePausesTheOther()
    {
        var time = new FakeTimeProvider(Start);
        var until = Start.AddSeconds(90);
        var upstreamA = new StubUpstream { Clock = time };
        upstreamA.EnqueueGet(_ =>
        {
            var response = StubUpstream.Problem(HttpStatusCode.TooManyRequests, "Too Many Requests");
            response.Headers.RetryAfter = new RetryConditionHeaderValue(until);
            return response;
        });
        var upstreamB = new StubUpstream { Clock = time };
        var settings = new Dictionary<string, string?> { ["Upstream:MaxGetRetries"] = "0", ["Upstream:RetryDelay"] = "00:00:00" };
        var a = await InstanceAsync(settings, time, upstreamA);
        var b = await InstanceAsync(settings, time, upstreamB);
        DeviceStatusClient Client(EngineTestHost host) => host.Services.CreateScope().ServiceProvider.GetRequiredService<DeviceStatusClient>();

        await Client(a).GetStatusAsync("a", Cancellation);
        var pausedOnB = await b.Services.GetRequiredService<IUpstreamPause>().CurrentAsync(time.GetUtcNow(), Cancellation);
        var refusedOnB = await Client(b).GetStatusAsync("b", Cancellation);
        var sentByBWhilePaused = upstreamB.Sent.Count;
        time.Advance(TimeSpan.FromSeconds(91));
        var afterThePause = await Client(b).GetStatusAsync("b", Cancellation);

        Assert.NotNull(pausedOnB);
        Assert.Equal(until, pausedOnB.Until);
        Assert.Contains("429", pausedOnB.Reason, StringComparison.Ordinal);
        var refused = Assert.IsType<StatusResult.NotSent>(refusedOnB);
        Assert.Contains("not sent", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(0, sentByBWhilePaused);
        Assert.IsType<StatusResult.Found>(afterThePause);
    }

    [Fact]
    public async Task TheDuplicateCheckAndTheSubmissionLimitHoldAcrossInstances()
    {
        var settings = new Dictionary<string, string?> { ["Exports:MaxSubmissionsPerMinute"] = "4" };
        var instances = new[] { await InstanceAsync(settings), await InstanceAsync(settings) };

        // A double click that lands on two instances at once is one request.
        var doubleClicks = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            instances[i % 2].Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(2), FileFormat.Csv, Cancellation)));
        // Eight different requests at once, half on each instance, against a limit of four a minute.
        var burst = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            instances[i % 2].Exports().SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(2 + i), FileFormat.Csv, Cancellation)));

        Assert.Single(doubleClicks.Select(o => Assert.IsType<SubmitOutcome.Accepted>(o).Export.Id).Distinct());
        Assert.Equal(4, burst.Count(o => o is SubmitOutcome.Accepted));
        Assert.Equal(4, burst.Count(o => o is SubmitOutcome.Throttled));
        await using var db = await instances[0].Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        Assert.Equal(1, await db.ExportRequests.CountAsync(e => e.OwnerId == EngineTestHost.Alice.Id, Cancellation));
        Assert.Equal(4, await db.ExportRequests.CountAsync(e => e.OwnerId == EngineTestHost.Bob.Id, Cancellation));
    }

    [Fact]
    public async Task AUsersSubmissionGateHeldOnOneInstanceHoldsBackTheOther()
    {
        var a = (await InstanceAsync()).Services.GetRequiredService<ISubmissionGate>();
        var b = (await InstanceAsync()).Services.GetRequiredService<ISubmissionGate>();

        var held = await a.EnterAsync(EngineTestHost.Alice.Id, Cancellation);
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(Cancellation))
        {
            waiting.CancelAfter(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.EnterAsync(EngineTestHost.Alice.Id, waiting.Token));
        }
        await using (await b.EnterAsync(EngineTestHost.Bob.Id, Cancellation))
        {
            // Another user's gate is free meanwhile.
        }
        await held.DisposeAsync();
        await using var entered = await b.EnterAsync(EngineTestHost.Alice.Id, Cancellation).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task ASubmissionOnOneInstanceWakesTheTrackerOfTheOther()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        var woken = b.Services.GetRequiredService<TrackerSignal>().WaitAsync(TimeSpan.FromMinutes(10), TimeProvider.System, Cancellation);

        Assert.IsType<SubmitOutcome.Accepted>(await a.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));

        await woken.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task AChangeDispatchedByOneInstanceReachesAPageOnTheOtherOnceAndInOrder()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        var onA = new List<ExportChanged>();
        var onB = new List<ExportChanged>();
        using var pageOnA = a.Changes.Subscribe(change => { lock (onA) { onA.Add(change); } return Task.CompletedTask; });
        using var pageOnB = b.Changes.Subscribe(change => { lock (onB) { onB.Add(change); } return Task.CompletedTask; });

        var submitted = Assert.IsType<SubmitOutcome.Accepted>(await a.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation));
        var id = submitted.Export.Id;
        for (var i = 1; i <= 3; i++)
        {
            await a.SaveNoteAsync(id, $"note {i}");
        }
        await a.DispatchAsync();
        await Eventually.HoldsAsync(() => { lock (onA) { return onA.Count == 4; } }, "the dispatching instance's page hears its changes through Redis");
        // A second dispatcher that pushes the same rows (both read them before either marked them): repeats are dropped.
        await b.Services.GetRequiredService<IExportChangeFanOut>().PublishAsync([.. onA], Cancellation);
        await a.SaveNoteAsync(id, "note 4");
        await a.DispatchAsync();
        await Eventually.HoldsAsync(() => { lock (onB) { return onB.Any(c => c.Detail == "note 4"); } }, "the other instance's page hears the last change");

        lock (onB)
        {
            Assert.Equal([1, 2, 3, 4, 5], onB.Select(c => c.Version - onB[0].Version + 1));
            Assert.Equal([null, "note 1", "note 2", "note 3", "note 4"], onB.Select(c => c.Detail == "Requested." ? null : c.Detail));
            Assert.All(onB, c => Assert.Equal(id, c.ExportId));
        }
    }

    [Fact]
    public async Task WhatOneInstanceProtectsTheOtherReads()
    {
        var a = await InstanceAsync();
        var b = await InstanceAsync();
        const string purpose = "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware";

        var cookie = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Protect("alice's session");
        var read = b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose).Unprotect(cookie);

        Assert.Equal("alice's session", read);
    }
}
