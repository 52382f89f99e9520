using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Exports;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Tests.Tracking;

public class PollingPolicyTests
{
    private static readonly TrackerOptions Options = new()
    {
        MinInterval = TimeSpan.FromSeconds(2),
        DenseInterval = TimeSpan.FromSeconds(4),
        MaxInterval = TimeSpan.FromSeconds(60),
        MaxIntervalBeforeExpected = TimeSpan.FromSeconds(60),
        CompletionSlack = TimeSpan.FromSeconds(1),
        ErrorBackoff = TimeSpan.FromSeconds(5),
        ErrorBackoffCap = TimeSpan.FromMinutes(5),
        PollBudgetPerMinute = 120,
    };

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void RetryAfterIsNeverViolated()
    {
        var random = new Random(7);
        for (var i = 0; i < 10_000; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 5000)));
            var retryAfter = random.Next(4) == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(random.Next(0, 900));
            var context = new PollContext(
                time.GetUtcNow(),
                time.GetUtcNow() - TimeSpan.FromSeconds(random.Next(0, 3600)),
                random.Next(3) == 0 ? null : Estimate(random.Next(1, 600)),
                random.Next(0, 12),
                retryAfter,
                random.NextDouble(),
                random.NextDouble());

            var next = PollingPolicy.NextPollAt(context, Options);

            Assert.True(next >= time.GetUtcNow() + (retryAfter ?? TimeSpan.Zero), $"case {i} polls before its Retry-After");
            // Only the quick retries after a first and a second failure, once the request may be done, come sooner than the minimum.
            var quickRetry = context.ConsecutiveErrors is 1 or 2 && context.Expected is { } expected && context.Now - context.SubmittedAt >= expected.Earliest;
            Assert.True(next >= time.GetUtcNow() + (quickRetry ? Options.ErrorRetry : Options.MinInterval), $"case {i} polls sooner than the minimum interval");
        }
    }

    [Fact]
    public void BackoffGrowsAfterEachErrorAndIsCapped()
    {
        var waits = Enumerable.Range(1, 12)
            .Select(errors => PollingPolicy.NextPollAt(new PollContext(time.GetUtcNow(), time.GetUtcNow(), null, errors, null), Options) - time.GetUtcNow())
            .ToList();

        Assert.Equal(TimeSpan.FromSeconds(5), waits[0]);
        Assert.All(waits.Zip(waits.Skip(1)), pair => Assert.True(pair.Second >= pair.First));
        Assert.True(waits[3] > waits[2]);
        Assert.Equal(Options.ErrorBackoffCap, waits[^1]);
        for (var jitter = 0.0; jitter <= 1.0; jitter += 0.1)
        {
            Assert.True(PollingPolicy.ErrorBackoff(30, jitter, Options) <= Options.ErrorBackoffCap);
        }
    }

    [Fact]
    public void AFailedPollOnceTheRequestMayBeDoneIsRetriedSoonTwiceAndAThirdFailureBacksOff()
    {
        var submitted = time.GetUtcNow();
        var expected = new PreparationEstimate(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));
        foreach (var age in new[] { 100, 121, 400 })
        {
            var now = submitted + TimeSpan.FromSeconds(age);

            Assert.Equal(now + Options.ErrorRetry, PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 1, null), Options));
            Assert.Equal(now + (2 * Options.ErrorRetry), PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 2, null), Options));
            Assert.Equal(now + TimeSpan.FromSeconds(3), PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 1, TimeSpan.FromSeconds(3)), Options));
            Assert.Equal(now + TimeSpan.FromSeconds(3), PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 2, TimeSpan.FromSeconds(3)), Options));
            var third = PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 3, null, Jitter: 0.5), Options) - now;
            Assert.Equal(Options.ErrorBackoff, third);
            var fourth = PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 4, null, Jitter: 0.5), Options) - now;
            Assert.Equal(2 * Options.ErrorBackoff, fourth);
        }
    }

    [Fact]
    public void WithTheDefaultsACompletionAtTheExpectedTimeIsKnownWithinASecondAndAHalfDespiteTwoFailedPolls()
    {
        var defaults = new TrackerOptions();
        var submitted = time.GetUtcNow();
        var expected = new PreparationEstimate(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(40.1), TimeSpan.FromSeconds(40.2));
        var completed = submitted + expected.Latest;

        // Planned at submission: one look, just after the latest similar completion.
        var poll = PollingPolicy.NextPollAt(new PollContext(submitted, submitted, expected, 0, null), defaults);
        Assert.InRange(poll - completed, TimeSpan.Zero, TimeSpan.FromSeconds(0.5));
        // That look and its first retry fail (one request in 25 when one poll in five fails): the second retry knows.
        for (var errors = 1; errors <= PollingPolicy.QuickRetries; errors++)
        {
            poll = PollingPolicy.NextPollAt(new PollContext(poll, submitted, expected, errors, null), defaults);
        }

        Assert.True(poll - completed <= TimeSpan.FromSeconds(1.5), $"known {(poll - completed).TotalSeconds:0.00} s after completion");
    }

    [Fact]
    public void AFailedPollBeforeTheRequestCanBeDoneKeepsTheSchedule()
    {
        var submitted = time.GetUtcNow();
        var expected = new PreparationEstimate(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));
        foreach (var age in new[] { 0, 30, 60, 99 })
        {
            var now = submitted + TimeSpan.FromSeconds(age);
            var planned = PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 0, null), Options);

            Assert.Equal(planned, PollingPolicy.NextPollAt(new PollContext(now, submitted, expected, 1, null), Options));
        }

        // A second failure in a row before then backs off, as does every failure without an estimate: nothing says
        // when the request may be done.
        var young = submitted + TimeSpan.FromSeconds(30);
        Assert.Equal(young + Options.ErrorBackoff, PollingPolicy.NextPollAt(new PollContext(young, submitted, expected, 2, null, Jitter: 0.5), Options));
        Assert.Equal(submitted + Options.ErrorBackoff, PollingPolicy.NextPollAt(new PollContext(submitted, submitted, null, 1, null, Jitter: 0.5), Options));
    }

    [Fact]
    public void PollsSparselyBeforeAndDenselyAcrossTheExpectedCompletion()
    {
        var submitted = time.GetUtcNow();
        var expected = new PreparationEstimate(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(110), TimeSpan.FromSeconds(120));

        var first = PollingPolicy.NextPollAt(new PollContext(submitted, submitted, expected, 0, null), Options);
        Assert.Equal(submitted + Options.MaxInterval, first);
        var second = PollingPolicy.NextPollAt(new PollContext(submitted + TimeSpan.FromSeconds(60), submitted, expected, 0, null), Options);
        Assert.Equal(submitted + expected.Earliest + Options.DenseInterval, second);

        var inWindow = submitted + TimeSpan.FromSeconds(105);
        Assert.Equal(inWindow + Options.DenseInterval, PollingPolicy.NextPollAt(new PollContext(inWindow, submitted, expected, 0, null), Options));

        var late = submitted + TimeSpan.FromSeconds(400);
        var lateWait = PollingPolicy.NextPollAt(new PollContext(late, submitted, expected, 0, null), Options) - late;
        Assert.True(lateWait > Options.DenseInterval && lateWait <= Options.MaxInterval);
    }

    [Fact]
    public void ANarrowWindowIsLookedAtOnceAtItsEnd()
    {
        var submitted = time.GetUtcNow();
        var expected = new PreparationEstimate(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(41), TimeSpan.FromSeconds(42));

        var next = PollingPolicy.NextPollAt(new PollContext(submitted + TimeSpan.FromSeconds(10), submitted, expected, 0, null), Options);

        Assert.Equal(submitted + expected.Latest + Options.CompletionSlack, next);
    }

    [Fact]
    public void WithoutHistoryTheWaitGrowsWithAgeWithinItsBounds()
    {
        var submitted = time.GetUtcNow();
        TimeSpan Wait(int ageSeconds) =>
            PollingPolicy.NextPollAt(new PollContext(submitted + TimeSpan.FromSeconds(ageSeconds), submitted, null, 0, null), Options)
            - (submitted + TimeSpan.FromSeconds(ageSeconds));

        Assert.Equal(Options.MinInterval, Wait(0));
        Assert.Equal(TimeSpan.FromSeconds(20), Wait(100));
        Assert.Equal(Options.MaxInterval, Wait(10_000));
    }

    [Fact]
    public void LittleQuotaLeftStretchesTheWait()
    {
        var submitted = time.GetUtcNow();
        var now = submitted + TimeSpan.FromSeconds(50);
        var plenty = PollingPolicy.NextPollAt(new PollContext(now, submitted, null, 0, null, QuotaLeft: 1), Options);
        var scarce = PollingPolicy.NextPollAt(new PollContext(now, submitted, null, 0, null, QuotaLeft: 0.05), Options);

        Assert.True(scarce - now > plenty - now);
    }

    [Fact]
    public async Task TheGlobalBudgetIsNeverExceededHoweverManyRequestsAreOpen()
    {
        var budget = new PollBudget(Microsoft.Extensions.Options.Options.Create(Options));
        var start = time.GetUtcNow();
        var due = Enumerable.Range(0, 500).Select(i => start + TimeSpan.FromMilliseconds(i * 10)).ToArray();
        var calls = new List<DateTimeOffset>();
        var random = new Random(3);

        while (time.GetUtcNow() < start + TimeSpan.FromMinutes(10))
        {
            var now = time.GetUtcNow();
            for (var i = 0; i < due.Length; i++)
            {
                if (due[i] > now)
                {
                    continue;
                }
                if (!await budget.TryTakeAsync(now, TestContext.Current.CancellationToken))
                {
                    due[i] = (await budget.ReadAsync(now, TestContext.Current.CancellationToken)).NextFreeAt;
                    continue;
                }
                calls.Add(now);
                var context = new PollContext(now, start, null, random.Next(0, 3), random.Next(2) == 0 ? TimeSpan.FromSeconds(random.Next(1, 30)) : null,
                    (double)(await budget.ReadAsync(now, TestContext.Current.CancellationToken)).Available / budget.Limit, random.NextDouble());
                due[i] = PollingPolicy.NextPollAt(context, Options);
            }
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        Assert.True(calls.Count > Options.PollBudgetPerMinute * 5, "the simulation kept the budget busy");
        for (var i = 0; i < calls.Count; i++)
        {
            var inWindow = calls.Skip(i).TakeWhile(c => c < calls[i] + UpstreamBudgetUse.Window).Count();
            Assert.True(inWindow <= Options.PollBudgetPerMinute, $"{inWindow} calls in the minute from {calls[i]:O}");
        }
    }

    [Fact]
    public void TheEstimateFollowsSizeAndFormatFromHistory()
    {
        var history = Enumerable.Range(1, 20)
            .Select(i => new PreparationSample(FileFormat.Csv, i * 1000, TimeSpan.FromSeconds(5 + (i * 2))))
            .Append(new PreparationSample(FileFormat.Orc, 1000, TimeSpan.FromSeconds(500)))
            .ToList();

        var estimate = PreparationEstimator.Estimate(history, FileFormat.Csv, 10_000);

        Assert.NotNull(estimate);
        Assert.InRange(estimate.Value.Typical.TotalSeconds, 24, 26);
        Assert.True(estimate.Value.Earliest <= estimate.Value.Typical && estimate.Value.Typical <= estimate.Value.Latest);
        Assert.NotNull(PreparationEstimator.Estimate(history, FileFormat.Orc, 1000));
        Assert.Null(PreparationEstimator.Estimate(history.TakeLast(3).ToList(), FileFormat.Orc, 1000));
    }

    private static PreparationEstimate Estimate(int seconds) =>
        new(TimeSpan.FromSeconds(seconds * 0.8), TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(seconds * 1.3));
}
