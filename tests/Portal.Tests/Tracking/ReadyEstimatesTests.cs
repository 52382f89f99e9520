using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Testing;
using Portal.Tracking;

namespace Portal.Tests.Tracking;

public class ReadyEstimatesTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly PreparationPercentiles Usual = new(TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(50), TimeSpan.FromSeconds(70), 12);

    [Fact]
    public void AnOpenRequestIsSlowOnlyOncePastThe95thPercentile()
    {
        var onTime = new ReadyEstimate(TimeSpan.FromSeconds(35), Usual);
        var atTheEdge = new ReadyEstimate(TimeSpan.FromSeconds(70), Usual);
        var late = new ReadyEstimate(TimeSpan.FromSeconds(71), Usual);

        Assert.False(onTime.IsSlow);
        Assert.Equal(0.5, onTime.Progress);
        Assert.False(atTheEdge.IsSlow);
        Assert.Equal(1, atTheEdge.Progress);
        Assert.True(late.IsSlow);
        Assert.Equal(1, late.Progress);
    }

    [Fact]
    public void WithoutHistoryNothingIsSlowAndThereIsNoProgress()
    {
        var unknown = new ReadyEstimate(TimeSpan.FromHours(5), null);

        Assert.False(unknown.IsSlow);
        Assert.Null(unknown.Progress);
    }

    [Fact]
    public async Task TheSlowFilterListsOpenRequestsPastThe95thPercentileOfSimilarOnes()
    {
        var time = TestClock.New();
        await using var host = await EngineTestHost.StartAsync(time: time);
        var estimator = host.Services.GetRequiredService<PreparationEstimator>();
        var day = EngineTestHost.Day(now: time.GetUtcNow());
        foreach (var seconds in new[] { 60, 70, 80, 90, 100 })
        {
            estimator.Add(new PreparationSample(FileFormat.Csv, day.Minutes, TimeSpan.FromSeconds(seconds)));
        }
        var exports = host.Exports();
        var late = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, day, FileFormat.Csv, Cancellation));
        var done = Accepted(await exports.SubmitAsync(EngineTestHost.Bob, day, FileFormat.Csv, Cancellation));
        // No JSON export has completed yet: it cannot be late against anything.
        Accepted(await exports.SubmitAsync(EngineTestHost.Bob, day, FileFormat.Json, Cancellation));
        time.Advance(TimeSpan.FromSeconds(50));
        Accepted(await exports.SubmitAsync(EngineTestHost.Bob, EngineTestHost.Day(3, time.GetUtcNow()), FileFormat.Csv, Cancellation));
        await host.UpdateAsync(done.Id, e => e.Status = ExportStatus.Completed);

        // The 95th percentile of 60..100 s is 98 s: the first request is past it, the one submitted later is not.
        time.Advance(TimeSpan.FromSeconds(70));
        var slow = await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true, Slow = true }, Cancellation);
        var everything = await exports.ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true }, Cancellation);

        Assert.Equal([late.Id], slow.Items.Select(e => e.Id));
        Assert.Equal(1, slow.TotalCount);
        Assert.Equal(4, everything.TotalCount);
        // Still scoped: Bob has no slow request of his own.
        Assert.Empty((await exports.ListAsync(EngineTestHost.Bob, new ExportQuery { Slow = true }, Cancellation)).Items);
    }

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;
}
