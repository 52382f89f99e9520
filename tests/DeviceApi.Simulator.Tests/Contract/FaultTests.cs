using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests.Contract;

public sealed class FaultTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QuotaOverEveryV3CallAnswers429WithRetryAfter()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Faults.Quota = 3;
            o.Faults.QuotaWindow = TimeSpan.FromMinutes(1);
        }, time);
        var jobs = simulator.Server.Services.GetRequiredService<Jobs.JobStore>();

        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        await simulator.GetStatusAsync(id);
        await simulator.GetTokenAsync();
        await simulator.GetStatusAsync(id);
        time.Advance(TimeSpan.FromSeconds(20));
        using var refusedPost = await simulator.SubmitAsync(TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddMinutes(5)));
        using var refusedGet = await simulator.GetStatusResponseAsync(id);
        time.Advance(TimeSpan.FromSeconds(40));
        using var nextWindow = await simulator.GetStatusResponseAsync(id);

        foreach (var refused in new[] { refusedPost, refusedGet })
        {
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(40), refused.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(1, jobs.Count);
        Assert.Equal(HttpStatusCode.OK, nextWindow.StatusCode);
    }

    [Fact]
    public async Task ServiceUnavailableStormAnswers503UntilSwitchedOff()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Faults.ServiceUnavailableRate = 1;
            o.Faults.ServiceUnavailableRetryAfterSeconds = 7;
        });
        var jobs = simulator.Server.Services.GetRequiredService<Jobs.JobStore>();

        using var post = await simulator.SubmitAsync(TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddMinutes(5)));
        using var get = await simulator.GetStatusResponseAsync(Guid.NewGuid());
        var jobsDuringStorm = jobs.Count;
        simulator.Server.Reconfigure(o => o.Faults.ServiceUnavailableRate = 0);
        await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));

        foreach (var refused in new[] { post, get })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), refused.Headers.RetryAfter?.Delta);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(0, jobsDuringStorm);
        Assert.Equal(1, jobs.Count);
    }

    [Fact]
    public async Task ShareOf503sIsRoughlyTheConfiguredRate()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.Faults.ServiceUnavailableRate = 0.5);

        var unavailable = 0;
        for (var i = 0; i < 200; i++)
        {
            using var response = await simulator.GetStatusResponseAsync(Guid.NewGuid());
            unavailable += response.StatusCode == HttpStatusCode.ServiceUnavailable ? 1 : 0;
        }

        Assert.InRange(unavailable, 60, 140);
    }

    [Fact]
    public async Task AddedLatencyDelaysV3Answers()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.Faults.AddedLatency = TimeSpan.FromMilliseconds(300));

        var watch = Stopwatch.StartNew();
        using var response = await simulator.GetStatusResponseAsync(Guid.NewGuid());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"answered after {watch.Elapsed}");
    }

    [Fact]
    public async Task RetryAfterHintAccompaniesAnswersThatAreNotCompleted()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Faults.InProgressRetryAfterSeconds = 4;
            o.Faults.NeverCompleteRate = 1;
        });
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        await simulator.WaitForStatusAsync(id, "In Progress");

        using var response = await simulator.GetStatusResponseAsync(id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task CompletedAnswersCarryNoRetryAfterHint()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.Faults.InProgressRetryAfterSeconds = 4);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        await simulator.WaitForStatusAsync(id, "Completed");

        using var response = await simulator.GetStatusResponseAsync(id);

        Assert.Null(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task JobThatNeverCompletesStaysInProgress()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(o => o.Faults.NeverCompleteRate = 1, time);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        await simulator.WaitForStatusAsync(id, "In Progress");

        time.Advance(TimeSpan.FromDays(2));
        simulator.Http.DefaultRequestHeaders.Authorization = new("Bearer", await simulator.GetTokenAsync());
        var status = await simulator.GetStatusAsync(id);

        Assert.Equal("In Progress", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task LostJobAnswers404AfterBeingInProgress()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Faults.LostRate = 1;
            o.MinimumPreparationTime = TimeSpan.FromMilliseconds(300);
        });
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));

        await simulator.WaitForStatusAsync(id, "In Progress");
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await simulator.GetStatusResponseAsync(id);
                return response.StatusCode == HttpStatusCode.NotFound;
            },
            "the lost job to answer 404 Not Found");
    }

    [Fact]
    public async Task InvalidFaultSettingFailsAtStartWithItsName()
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(
            () => SimulatorServer.StartAsync(o => o.Faults.ServiceUnavailableRate = 2, cancellationToken: Cancellation));

        Assert.Contains("ServiceUnavailableRate", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DemoDefaultsAreTheContractsAndAllFaultsAreOff()
    {
        await using var server = await SimulatorServer.StartAsync(cancellationToken: Cancellation);
        var options = server.Options;

        Assert.Equal(("portal", "portal-secret"), (options.ClientId, options.ClientSecret));
        Assert.Equal(1000, options.DeviceCount);
        Assert.Equal(TimeSpan.FromMinutes(15), options.UrlLifetime);
        Assert.Equal(TimeSpan.FromHours(24), options.Retention);
        Assert.Equal(1_000_000, options.PartSize);
        Assert.True(options.MinimumPreparationTime >= TimeSpan.FromSeconds(1));
        Assert.Equal(0, options.Faults.Quota);
        Assert.Equal(0, options.Faults.ServiceUnavailableRate);
        Assert.Equal(TimeSpan.Zero, options.Faults.AddedLatency);
        Assert.Equal(0, options.Faults.InProgressRetryAfterSeconds);
        Assert.Equal(0, options.Faults.NeverCompleteRate);
        Assert.Equal(0, options.Faults.LostRate);
        Assert.Null(options.Faults.TokenExpiresEarlyAfter);
        Assert.False(options.Faults.RetryAfterAsHttpDate);
    }

    [Fact]
    public async Task RetryAfterCanComeAsAnHttpDateRoundedUpToTheSecond()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Faults.Quota = 1;
            o.Faults.QuotaWindow = TimeSpan.FromMinutes(1);
            o.Faults.RetryAfterAsHttpDate = true;
        }, time);

        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        time.Advance(TimeSpan.FromSeconds(20.3));
        using var refused = await simulator.GetStatusResponseAsync(id);

        // 40 s left in the quota window from 20.3 s: 60.3 s, rounded up.

        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Null(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(Now.AddSeconds(61), refused.Headers.RetryAfter?.Date);
        Assert.Matches(@"^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$", refused.Headers.GetValues("Retry-After").Single());
    }
}
