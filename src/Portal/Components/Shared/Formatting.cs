using System.Globalization;

namespace Portal.Components.Shared;

/// <summary>How the pages write durations, counts and sizes, the same way everywhere.</summary>
public static class Formatting
{
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }
        if (span.TotalHours >= 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes:00}m");
        }
        if (span.TotalMinutes >= 1)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{span.Minutes}m {span.Seconds:00}s");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{span.Seconds}s");
    }

    /// <summary>
    /// A duration as people say it, rounded to what matters at its size: <c>4 s</c>, <c>40 s</c>, <c>1 min 10 s</c>,
    /// <c>25 min</c>, <c>2 h 5 min</c>.
    /// </summary>
    public static string Approximately(TimeSpan span)
    {
        var seconds = Math.Max(span.TotalSeconds, 0);
        var rounded = seconds switch
        {
            < 10 => Math.Max(Math.Round(seconds), 1),
            < 60 => Math.Round(seconds / 5) * 5,
            < 600 => Math.Round(seconds / 10) * 10,
            < 3600 => Math.Round(seconds / 60) * 60,
            _ => Math.Round(seconds / 300) * 300,
        };
        var whole = TimeSpan.FromSeconds(rounded);
        if (whole.TotalHours >= 1)
        {
            return whole.Minutes == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{(int)whole.TotalHours} h")
                : string.Create(CultureInfo.InvariantCulture, $"{(int)whole.TotalHours} h {whole.Minutes} min");
        }
        if (whole.TotalMinutes >= 1)
        {
            return whole.Seconds == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{whole.Minutes} min")
                : string.Create(CultureInfo.InvariantCulture, $"{whole.Minutes} min {whole.Seconds} s");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{whole.Seconds} s");
    }

    /// <summary>A range of durations, or one when both ends round to the same: <c>40 s to 1 min 10 s</c>, <c>about 40 s</c>.</summary>
    public static string ApproximateRange(TimeSpan from, TimeSpan to)
    {
        var low = Approximately(from);
        var high = Approximately(to);
        return low == high ? $"about {low}" : $"{low} to {high}";
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }
}
