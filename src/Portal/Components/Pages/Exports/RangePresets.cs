namespace Portal.Components.Pages.Exports;

/// <summary>A ready-made time range, computed in the user's time zone at the moment it is picked.</summary>
public sealed record RangePreset(string Key, string Label, Func<DateTime, (DateTime From, DateTime To)> Compute)
{
    /// <summary>Local wall-clock bounds for <paramref name="localNow"/>.</summary>
    public (DateTime From, DateTime To) For(DateTime localNow) => Compute(TruncateToMinute(localNow));

    private static DateTime TruncateToMinute(DateTime value) => new(value.Ticks - (value.Ticks % TimeSpan.TicksPerMinute), value.Kind);
}

public static class RangePresets
{
    public static IReadOnlyList<RangePreset> All { get; } =
    [
        new("last-hour", "Last hour", now => (now.AddHours(-1), now)),
        new("last-24h", "Last 24 hours", now => (now.AddDays(-1), now)),
        new("yesterday", "Yesterday", now => (now.Date.AddDays(-1), now.Date)),
        new("last-7-days", "Last 7 days", now => (now.AddDays(-7), now)),
        new("previous-month", "Previous calendar month", now =>
        {
            var thisMonth = new DateTime(now.Year, now.Month, 1, 0, 0, 0, now.Kind);
            return (thisMonth.AddMonths(-1), thisMonth);
        }),
    ];

    public static RangePreset Default => All[1];
}
