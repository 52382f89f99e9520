using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Exports;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Tests.Upstream;

public class PlatformHealthTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static UpstreamHealth Health(int failuresInARow = 0, DateTimeOffset? lastSuccess = null, DateTimeOffset? lastRateLimited = null) =>
        new(null, null, 0, 0, 300, ConsecutiveFailures: failuresInARow, LastSuccessAt: lastSuccess, LastRateLimitedAt: lastRateLimited);

    [Fact]
    public void SeveralFailedCallsInARowMeanThePlatformStruggles()
    {
        Assert.False(PlatformHealth.IsStruggling(Health(), Now));
        Assert.False(PlatformHealth.IsStruggling(Health(failuresInARow: PlatformHealth.FailuresInARow - 1), Now));
        Assert.True(PlatformHealth.IsStruggling(Health(failuresInARow: PlatformHealth.FailuresInARow), Now));
    }

    [Fact]
    public void ARateLimitCountsUntilAGoodAnswerOrUntilItIsOld()
    {
        var limited = Now.AddSeconds(-10);

        Assert.True(PlatformHealth.IsStruggling(Health(failuresInARow: 1, lastSuccess: limited.AddSeconds(-1), lastRateLimited: limited), Now));
        Assert.False(PlatformHealth.IsStruggling(Health(lastSuccess: limited.AddSeconds(1), lastRateLimited: limited), Now));
        Assert.False(PlatformHealth.IsStruggling(Health(failuresInARow: 1, lastRateLimited: Now - PlatformHealth.RateLimitMemory - TimeSpan.FromSeconds(1)), Now));
    }

    [Fact]
    public void SubscribersHearOfEachFlipAsCallsAreRecorded()
    {
        var time = new FakeTimeProvider(Now);
        var monitor = NewMonitor(time);
        using var health = new PlatformHealth(monitor, time, NullLogger<PlatformHealth>.Instance);
        var heard = new List<bool>();
        using var subscription = health.Subscribe(state =>
        {
            heard.Add(state);
            return Task.CompletedTask;
        });

        monitor.RecordError("Upstream answered 503 (Service Unavailable).", HttpStatusCode.ServiceUnavailable);
        monitor.RecordError("Upstream answered 503 (Service Unavailable).", HttpStatusCode.ServiceUnavailable);
        Assert.False(health.IsStrugglingNow);
        monitor.RecordError("The upstream did not answer in time.");
        Assert.True(health.IsStrugglingNow);
        monitor.RecordError("The upstream did not answer in time.");
        monitor.RecordSuccess();
        Assert.False(health.IsStrugglingNow);

        Assert.Equal([true, false], heard);
    }

    [Fact]
    public void A429FlipsItAtOnceAndTimeAloneEndsIt()
    {
        var time = new FakeTimeProvider(Now);
        var monitor = NewMonitor(time);
        using var health = new PlatformHealth(monitor, time, NullLogger<PlatformHealth>.Instance);

        monitor.RecordError("Upstream answered 429 (Too Many Requests).", HttpStatusCode.TooManyRequests);
        Assert.True(health.IsStrugglingNow);

        // No call is made while the portal waits; the banner still goes once the 429 is old.
        time.Advance(PlatformHealth.RateLimitMemory - TimeSpan.FromSeconds(5));
        Assert.True(health.IsStrugglingNow);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(health.IsStrugglingNow);
    }

    [Fact]
    public void ADisposedSubscriptionHearsNothing()
    {
        var time = new FakeTimeProvider(Now);
        var monitor = NewMonitor(time);
        using var health = new PlatformHealth(monitor, time, NullLogger<PlatformHealth>.Instance);
        var calls = 0;
        health.Subscribe(_ =>
        {
            Interlocked.Increment(ref calls);
            return Task.CompletedTask;
        }).Dispose();

        monitor.RecordError("Upstream answered 429 (Too Many Requests).", HttpStatusCode.TooManyRequests);

        Assert.True(health.IsStrugglingNow);
        Assert.Equal(0, Volatile.Read(ref calls));
    }

    private static UpstreamMonitor NewMonitor(TimeProvider time)
    {
        var options = Options.Create(new TrackerOptions());
        return new UpstreamMonitor(time, new PollBudget(options), new InMemoryUpstreamPause());
    }
}
