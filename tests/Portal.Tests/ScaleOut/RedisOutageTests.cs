using System.Threading.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Exports;
using Portal.Hosting.ScaleOut;
using Portal.Security;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Upstream;

namespace Portal.Tests.ScaleOut;

/// <summary>Two instances on a Redis of the test's own that it stops and restarts (no persistence: its data is gone).</summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly string prefix = TestRedis.NewPrefix();
    private readonly string databaseFile = Path.Combine(Path.GetTempPath(), "portal-tests", $"redis-outage-{Guid.NewGuid():N}.db");
    private readonly List<EngineTestHost> hosts = [];
    private RestartableRedis redis = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databaseFile)!);
        redis = await RestartableRedis.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in hosts)
        {
            await host.DisposeAsync();
        }
        await redis.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabases.Drop(databaseFile);
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(databaseFile)!, Path.GetFileName(databaseFile) + "*"))
        {
            File.Delete(file);
        }
    }

    private async Task<EngineTestHost> InstanceAsync(Dictionary<string, string?>? more = null, TimeProvider? time = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.Endpoint,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:AllowInsecureConnection"] = "true",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        var host = await EngineTestHost.StartAsync(null, settings, time, databaseFile);
        hosts.Add(host);
        return host;
    }

    /// <summary>Until the instance's connection is back after a restart (it reconnects by itself).</summary>
    private static Task ReconnectedAsync(params EngineTestHost[] instances) =>
        EngineTestHost.WaitUntilAsync(
            () => instances.All(i => i.Services.GetRequiredService<RedisConnection>().Multiplexer.IsConnected),
            "every instance reconnects to Redis", TimeSpan.FromSeconds(30));

    [Fact]
    public async Task ARestartOfRedisDoesNotHandOutASecondBudgetWithinTheWindow()
    {
        var time = new FakeTimeProvider(Start);
        var settings = new Dictionary<string, string?> { ["Tracking:PollBudgetPerMinute"] = "20" };
        var a = await InstanceAsync(settings, time);
        var b = await InstanceAsync(settings, time);
        var budgetA = a.Services.GetRequiredService<IUpstreamBudget>();
        var budgetB = b.Services.GetRequiredService<IUpstreamBudget>();

        var before = await TakeAsync(budgetA, 12) + await TakeAsync(budgetB, 12);
        await redis.RestartAsync();
        await ReconnectedAsync(a, b);
        time.Advance(TimeSpan.FromSeconds(10));
        var afterRestart = await TakeAsync(budgetA, 10) + await TakeAsync(budgetB, 10);
        var readAfterRestart = await budgetB.ReadAsync(time.GetUtcNow(), Cancellation);
        // A window after the loss was noticed the budget is whole again.
        time.Advance(TimeSpan.FromSeconds(61));
        var aWindowLater = await TakeAsync(budgetA, 12) + await TakeAsync(budgetB, 12);

        Assert.Equal(20, before);
        Assert.Equal(0, afterRestart);
        Assert.Equal(0, readAfterRestart.Available);
        Assert.Equal(20, aWindowLater);

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
    public async Task WhileRedisIsDownNoCallIsTakenAndAPauseKnownBeforeARestartHoldsAfterIt()
    {
        var time = new FakeTimeProvider(Start);
        var a = await InstanceAsync(time: time);
        var b = await InstanceAsync(time: time);
        var until = Start.AddSeconds(90);
        await a.Services.GetRequiredService<IUpstreamPause>().PauseUntilAsync(until, "the device platform answered 429 Too Many Requests");

        await redis.StopAsync();
        var takenWhileDown = await b.Services.GetRequiredService<IUpstreamBudget>().TryTakeAsync(time.GetUtcNow(), Cancellation);
        var pauseWhileDown = await b.Services.GetRequiredService<IUpstreamPause>().CurrentAsync(time.GetUtcNow(), Cancellation);
        await redis.StartAgainAsync();
        await ReconnectedAsync(a, b);
        time.Advance(TimeSpan.FromSeconds(10));
        // A remembers the pause it set and writes it back; B, which never read it, then sees it too.
        var onA = await a.Services.GetRequiredService<IUpstreamPause>().CurrentAsync(time.GetUtcNow(), Cancellation);
        var onB = await b.Services.GetRequiredService<IUpstreamPause>().CurrentAsync(time.GetUtcNow(), Cancellation);

        Assert.False(takenWhileDown);
        Assert.Equal(RedisUpstreamPause.Unreachable, pauseWhileDown?.Reason);
        Assert.Equal(until, onA?.Until);
        Assert.Equal(until, onB?.Until);
        Assert.Contains("429", onB!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhileRedisIsDownASubmissionIsAcceptedOnceAndTheRateLimitsCountPerInstance()
    {
        var a = await InstanceAsync();
        await redis.StopAsync();
        await EngineTestHost.WaitUntilAsync(() => !a.Services.GetRequiredService<RedisConnection>().Multiplexer.IsConnected,
            "the instance notices that Redis is gone", TimeSpan.FromSeconds(10));

        var first = await a.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Csv, Cancellation);
        var doubleClick = await a.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Csv, Cancellation);
        var limiter = PartitionedRateLimiter.Create<string, string>(key =>
            a.Services.GetRequiredService<IRateLimitPartitions>().FixedWindow(key, 3, TimeSpan.FromMinutes(1)));
        var leases = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            using var lease = await limiter.AcquireAsync("api:user:alice", 1, Cancellation);
            leases.Add(lease.IsAcquired);
        }

        var accepted = Assert.IsType<SubmitOutcome.Accepted>(first);
        Assert.Equal(accepted.Export.Id, Assert.IsType<SubmitOutcome.Accepted>(doubleClick).Export.Id);
        Assert.Equal([true, true, true, false, false], leases);
        await using var db = await a.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var row = await db.ExportRequests.SingleAsync(e => e.OwnerId == EngineTestHost.Alice.Id, Cancellation);
        Assert.Equal(ExportStatus.Queued, row.Status);
        await limiter.DisposeAsync();
    }
}
