using Portal.Exports;
using Portal.Tracking;

namespace Portal.Tests.Tracking;

public class PreparationEstimatorTests
{
    private const long Day = 1440;

    private static PreparationSample Sample(FileFormat format, long minutes, double seconds) => new(format, minutes, TimeSpan.FromSeconds(seconds));

    [Fact]
    public void SimilarPercentilesAreThoseOfTheMeasuredDurations()
    {
        // 1 s to 20 s, shuffled: the order they completed in must not matter.
        var history = Enumerable.Range(1, 20).OrderBy(i => (i * 7) % 20).Select(i => Sample(FileFormat.Csv, Day, i)).ToList();

        var usual = PreparationEstimator.Similar(history, FileFormat.Csv, Day);

        // Linear interpolation between closest ranks: position q·(n-1) in the sorted durations.
        Assert.NotNull(usual);
        Assert.Equal(20, usual.Value.Samples);
        Assert.Equal(1.95, usual.Value.P5.TotalSeconds, 6);
        Assert.Equal(10.5, usual.Value.P50.TotalSeconds, 6);
        Assert.Equal(19.05, usual.Value.P95.TotalSeconds, 6);
    }

    [Fact]
    public void NoSimilarHistoryIsNoEstimateNotAGuessFromOtherFormats()
    {
        var history = Enumerable.Range(1, 10).Select(i => Sample(FileFormat.Json, Day, 30))
            .Concat(Enumerable.Range(1, 3).Select(i => Sample(FileFormat.Csv, Day, 30)))
            .ToList();

        Assert.Null(PreparationEstimator.Similar(history, FileFormat.Csv, Day));
        Assert.NotNull(PreparationEstimator.Similar(history, FileFormat.Json, Day));
        Assert.Null(PreparationEstimator.Similar([], FileFormat.Json, Day));
    }

    [Fact]
    public void OnlyRequestsOfASimilarSpanCount()
    {
        var history = Enumerable.Range(0, 5).Select(_ => Sample(FileFormat.Parquet, 60, 10))
            .Concat(Enumerable.Range(0, 5).Select(_ => Sample(FileFormat.Parquet, 7 * Day, 600)))
            .ToList();

        Assert.Equal(TimeSpan.FromSeconds(10), PreparationEstimator.Similar(history, FileFormat.Parquet, 90)!.Value.P95);
        Assert.Equal(TimeSpan.FromSeconds(600), PreparationEstimator.Similar(history, FileFormat.Parquet, 5 * Day)!.Value.P5);
        // A day is more than four times an hour and less than a quarter of a week: nothing similar.
        Assert.Null(PreparationEstimator.Similar(history, FileFormat.Parquet, Day));
    }

    [Fact]
    public void EnoughRequestsOfTheSameSpanMakeTheEstimateWithoutALineThroughOtherSpans()
    {
        // A fixed minimum time (7 s for a day) and then time in proportion to the rows: not one line.
        var history = Enumerable.Range(0, 6).Select(_ => Sample(FileFormat.Csv, Day, 7))
            .Concat([Sample(FileFormat.Csv, 3 * Day, 10.60), Sample(FileFormat.Csv, 3 * Day, 10.64), Sample(FileFormat.Csv, 3 * Day, 10.66), Sample(FileFormat.Csv, 3 * Day, 10.70)])
            .Concat([Sample(FileFormat.Csv, 7 * Day, 22.2), Sample(FileFormat.Csv, 7 * Day, 22.2)])
            .ToList();

        var threeDays = PreparationEstimator.Estimate(history, FileFormat.Csv, 3 * Day)!.Value;
        var fiveDays = PreparationEstimator.Estimate(history, FileFormat.Csv, 5 * Day)!.Value;

        Assert.InRange(threeDays.Earliest.TotalSeconds, 10.55, 10.64);
        Assert.InRange(threeDays.Latest.TotalSeconds, 10.64, 10.75);
        // No request of nearly five days: the line through the spans around it, widened by how far they strayed.
        Assert.InRange(fiveDays.Typical.TotalSeconds, 12, 20);
        Assert.True(fiveDays.Latest - fiveDays.Earliest > threeDays.Latest - threeDays.Earliest);
    }

    [Fact]
    public void WhatTheTrackerLearnsIsWhatTheEstimateUses()
    {
        var estimator = new PreparationEstimator(null!, Microsoft.Extensions.Options.Options.Create(new TrackerOptions { HistorySize = 4 }));
        foreach (var seconds in new[] { 100, 100, 10, 20, 30, 40 })
        {
            estimator.Add(Sample(FileFormat.Orc, Day, seconds));
        }

        // The oldest two fell out of the history.
        var usual = estimator.Similar(FileFormat.Orc, Day);
        Assert.Equal(4, usual!.Value.Samples);
        Assert.Equal(38.5, usual.Value.P95.TotalSeconds, 6);
    }
}
