using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Upstream;

namespace Portal.Tests.Upstream;

/// <summary>The one budget and the one pause that every upstream attempt passes, on a fake clock.</summary>
public class UpstreamBudgetTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeRange Range = new(Start.AddDays(-2), Start.AddDays(-1));

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private sealed record Engine(EngineTestHost Host, FakeTimeProvider Time) : IAsyncDisposable
    {
        public StubUpstream Upstream => Host.Upstream;

        public DeviceStatusClient Client() => Host.Services.CreateScope().ServiceProvider.GetRequiredService<DeviceStatusClient>();

        public IUpstreamBudget Budget => Host.Services.GetRequiredService<IUpstreamBudget>();

        public Task<UpstreamHealth> HealthAsync() => Host.Services.GetRequiredService<UpstreamMonitor>().SnapshotAsync(Cancellation);

        public Task<string> RequestTokenAsync() =>
            Host.Services.GetRequiredService<UpstreamTokenProvider>().GetTokenAsync(rejected: "token-1", Cancellation);

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    private static async Task<Engine> StartAsync(StubUpstream upstream, Dictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(Start);
        upstream.Clock = time;
        // No delay between retries: the fake clock does not move while a call is in flight.
        settings.TryAdd("Upstream:RetryDelay", "00:00:00");
        return new Engine(await EngineTestHost.StartAsync(upstream, settings, time), time);
    }

    private static HttpResponseMessage TooManyRequestsUntil(DateTimeOffset date)
    {
        var response = StubUpstream.Problem(HttpStatusCode.TooManyRequests, "Too Many Requests");
        response.Headers.RetryAfter = new RetryConditionHeaderValue(date);
        return response;
    }

    [Fact]
    public async Task RetriesAndTheTokenRequestTakeFromTheBudget()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        await using var engine = await StartAsync(upstream, new() { ["Tracking:PollBudgetPerMinute"] = "4", ["Upstream:MaxGetRetries"] = "2", ["Upstream:ReservedForTrackerShare"] = "0" });

        StatusResult first;
        using (UpstreamCallScope.ForUser())
        {
            // A person waits for this one (a fresh download link): it is retried inside the call.
            first = await engine.Client().GetStatusAsync("a", Cancellation);
        }

        var usedByFirst = (await engine.Budget.ReadAsync(engine.Time.GetUtcNow(), Cancellation)).UsedInLastMinute;
        var second = await engine.Client().GetStatusAsync("b", Cancellation);
        var getsBeforeTheMinuteEnds = upstream.Gets;
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        var third = await engine.Client().GetStatusAsync("c", Cancellation);

        Assert.IsType<StatusResult.Found>(first);
        Assert.Equal((1, 3), (upstream.TokenRequests, getsBeforeTheMinuteEnds));
        Assert.Equal(4, usedByFirst);
        var refused = Assert.IsType<StatusResult.NotSent>(second);
        Assert.Contains("not sent", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
        Assert.IsType<StatusResult.Found>(third);
        Assert.Equal(4, upstream.Gets);
    }

    [Fact]
    public async Task CallsReachingTheUpstreamInAnyMinuteNeverExceedTheBudget()
    {
        const int budget = 5;
        var upstream = new StubUpstream
        {
            // Every status answer fails, so each call retries; short tokens make token requests recur.
            GetFallback = _ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"),
            TokenLifetimeSeconds = 20,
        };
        await using var engine = await StartAsync(upstream, new()
        {
            ["Tracking:PollBudgetPerMinute"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Upstream:MaxGetRetries"] = "2",
            ["Upstream:CircuitBreaker:MinimumThroughput"] = "10000",
        });

        for (var i = 0; i < 60; i++)
        {
            await engine.Client().GetStatusAsync($"r{i}", Cancellation);
            engine.Time.Advance(TimeSpan.FromSeconds(3));
        }

        var sent = upstream.Sent.Select(s => s.At).ToList();
        Assert.True(sent.Count >= budget * 3, $"{sent.Count} calls in three minutes: the budget was kept busy");
        Assert.True(upstream.TokenRequests >= 3, $"{upstream.TokenRequests} token requests");
        for (var i = 0; i < sent.Count; i++)
        {
            var inWindow = sent.Skip(i).TakeWhile(at => at < sent[i] + TimeSpan.FromMinutes(1)).Count();
            Assert.True(inWindow <= budget, $"{inWindow} calls in the minute from {sent[i]:O}");
        }
    }

    [Fact]
    public async Task A429WithAnHttpDatePausesEveryCallUntilThatDate()
    {
        var upstream = new StubUpstream();
        var until = Start.AddSeconds(90);
        upstream.EnqueueGet(_ => TooManyRequestsUntil(until));
        await using var engine = await StartAsync(upstream, new() { ["Upstream:MaxGetRetries"] = "0" });

        var throttled = await engine.Client().GetStatusAsync("a", Cancellation);
        var otherGet = await engine.Client().GetStatusAsync("b", Cancellation);
        var post = await engine.Client().SubmitAsync(Range, FileFormat.Csv, Cancellation);
        var token = await Assert.ThrowsAsync<UpstreamCallNotSentException>(engine.RequestTokenAsync);
        var health = await engine.HealthAsync();
        var sentDuringPause = upstream.Sent.Count;
        engine.Time.Advance(TimeSpan.FromSeconds(90));
        var resumed = await engine.Client().GetStatusAsync("c", Cancellation);

        Assert.IsType<StatusResult.Transient>(throttled);
        Assert.Equal(2, sentDuringPause); // the token request and the GET answered 429
        Assert.Equal(TimeSpan.FromSeconds(90), Assert.IsType<StatusResult.NotSent>(otherGet).RetryAfter);
        Assert.IsType<SubmitResult.NotSent>(post);
        Assert.Equal(0, upstream.Posts);
        Assert.Equal(until, token.RetryAt);
        Assert.Equal(until, health.PausedUntil);
        Assert.Equal("the device platform answered 429 Too Many Requests", health.PauseReason);
        Assert.IsType<StatusResult.Found>(resumed);
        Assert.Null((await engine.HealthAsync()).PausedUntil);
    }

    [Fact]
    public async Task A429WithoutRetryAfterPausesForTheConfiguredTime()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.TooManyRequests, "Too Many Requests"));
        await using var engine = await StartAsync(upstream, new() { ["Upstream:MaxGetRetries"] = "0", ["Upstream:PauseWithoutRetryAfter"] = "00:00:45" });

        await engine.Client().GetStatusAsync("a", Cancellation);

        Assert.Equal(Start.AddSeconds(45), (await engine.HealthAsync()).PausedUntil);
    }

    [Fact]
    public async Task AnOpenCircuitPausesEveryCallUntilItsProbe()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        await using var engine = await StartAsync(upstream, new()
        {
            ["Upstream:MaxGetRetries"] = "0",
            ["Upstream:CircuitBreaker:FailureRatio"] = "0.5",
            ["Upstream:CircuitBreaker:MinimumThroughput"] = "2",
            ["Upstream:CircuitBreaker:SamplingDuration"] = "00:00:30",
            ["Upstream:CircuitBreaker:BreakDuration"] = "00:01:00",
        });

        await engine.Client().GetStatusAsync("a", Cancellation);
        await engine.Client().GetStatusAsync("b", Cancellation);
        var health = await engine.HealthAsync();
        var whileOpen = await engine.Client().GetStatusAsync("c", Cancellation);
        var post = await engine.Client().SubmitAsync(Range, FileFormat.Csv, Cancellation);
        await Assert.ThrowsAsync<UpstreamCallNotSentException>(engine.RequestTokenAsync);
        var sentWhileOpen = upstream.Sent.Count;
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        var probe = await engine.Client().GetStatusAsync("d", Cancellation);

        Assert.Equal(Start.AddMinutes(1), health.PausedUntil);
        Assert.Contains("circuit breaker opened", health.PauseReason, StringComparison.Ordinal);
        Assert.Contains("503", health.PauseReason, StringComparison.Ordinal);
        Assert.IsType<StatusResult.NotSent>(whileOpen);
        Assert.IsType<SubmitResult.NotSent>(post);
        Assert.Equal(3, sentWhileOpen); // the first token request and the two failed GETs
        Assert.Equal(0, upstream.Posts);
        Assert.IsType<StatusResult.Found>(probe);
        Assert.Null((await engine.HealthAsync()).PausedUntil);
    }

    [Theory]
    [InlineData("Upstream:CircuitBreaker:FailureRatio", "0", "CircuitBreaker:FailureRatio")]
    [InlineData("Upstream:CircuitBreaker:MinimumThroughput", "1", "CircuitBreaker:MinimumThroughput")]
    [InlineData("Upstream:CircuitBreaker:BreakDuration", "00:00:00.100", "CircuitBreaker:BreakDuration")]
    [InlineData("Upstream:PauseWithoutRetryAfter", "00:00:00", "PauseWithoutRetryAfter")]
    public async Task AWrongSettingIsRefusedWithItsName(string key, string value, string name)
    {
        await using var engine = await StartAsync(new StubUpstream(), new() { [key] = value });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => engine.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<UpstreamOptions>>().Value);

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheTrackerClaimsNothingWhileTheUpstreamIsPaused()
    {
        var upstream = new StubUpstream();
        await using var engine = await StartAsync(upstream, []);
        var outcome = await engine.Host.Exports().SubmitAsync(EngineTestHost.Alice, Range, FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await engine.Host.UpdateAsync(id, e => e.NextPollAt = Start);
        await engine.Host.Services.GetRequiredService<IUpstreamPause>().PauseUntilAsync(Start.AddSeconds(40), "a test pause");

        var wait = await engine.Host.NewTracker().RunPassAsync(Cancellation);

        Assert.Equal(TimeSpan.FromSeconds(40), wait);
        Assert.Equal(0, upstream.Gets);
        Assert.Null((await engine.Host.RowAsync(id)).LeaseOwner);
    }
}
