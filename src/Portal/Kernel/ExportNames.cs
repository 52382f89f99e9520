using System.Globalization;
using Portal.Exports;

namespace Portal.Kernel;

/// <summary>
/// The names people tell their exports apart by. A name left empty is made from the format and the range, in the zone
/// of whoever asks: the user's on the new-export form (<c>CSV · 5 Dec 10:00–11:00</c>), the schedule's for a scheduled
/// run (the schedule's name and the range), UTC for a script's create (<c>CSV · 5 Dec 10:00–11:00 UTC</c>).
/// </summary>
public static class ExportNames
{
    /// <summary>The longest name a person or a script may give.</summary>
    public const int MaxLength = 100;

    /// <summary>The column's size: a schedule's name (at most 100 characters) with its run's range fits.</summary>
    public const int MaxStoredLength = 200;

    private const string Separator = " · ";

    /// <summary>
    /// <c>CSV · 5 Dec 10:00–11:00</c>: the format and the range in <paramref name="zone"/>; a range across days shows both
    /// dates, one across years both years. Made in UTC, it says so.
    /// </summary>
    public static string Default(FileFormat format, TimeRange range, TimeZoneInfo zone) =>
        format.ApiName() + Separator + RangeText(range, zone);

    /// <summary>A scheduled run: the schedule's name and the run's range in the schedule's zone.</summary>
    public static string ForSchedule(string scheduleName, TimeRange range, TimeZoneInfo zone)
    {
        var name = Normalize(scheduleName) ?? "Scheduled export";
        var text = name + Separator + RangeText(range, zone);
        return text.Length <= MaxStoredLength ? text : text[..(MaxStoredLength - 1)] + "…";
    }

    /// <summary>The range part of a default name.</summary>
    public static string RangeText(TimeRange range, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var from = TimeZoneInfo.ConvertTime(range.From, zone).DateTime;
        var to = TimeZoneInfo.ConvertTime(range.To, zone).DateTime;
        var text = from.Date == to.Date
            ? $"{from.ToString("d MMM HH:mm", CultureInfo.InvariantCulture)}–{to.ToString("HH:mm", CultureInfo.InvariantCulture)}"
            : from.Year == to.Year
                ? $"{from.ToString("d MMM HH:mm", CultureInfo.InvariantCulture)} – {to.ToString("d MMM HH:mm", CultureInfo.InvariantCulture)}"
                : $"{from.ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture)} – {to.ToString("d MMM yyyy HH:mm", CultureInfo.InvariantCulture)}";
        return IsUtc(zone) ? text + " UTC" : text;
    }

    /// <summary>The name as stored: trimmed; null when nothing is left, so the default applies.</summary>
    public static string? Normalize(string? name) => string.IsNullOrWhiteSpace(name) ? null : name.Trim();

    /// <summary>What is wrong with a name a person or a script gave, in words that say what to fix; null when it is fine or empty.</summary>
    public static string? Problem(string? name)
    {
        if (Normalize(name) is not { } trimmed)
        {
            return null;
        }
        if (trimmed.Length > MaxLength)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The name may be at most {MaxLength} characters long; this one has {trimmed.Length}.");
        }
        if (NameText.HasControlCharacters(trimmed))
        {
            return NameText.ControlCharactersProblem("name");
        }
        return null;
    }

    private static bool IsUtc(TimeZoneInfo zone) =>
        zone.Id is "UTC" or "Etc/UTC" or "Etc/Universal" or "Universal" or "Zulu" or "Etc/Zulu"
        || (zone.BaseUtcOffset == TimeSpan.Zero && !zone.SupportsDaylightSavingTime && zone.Id.Contains("UTC", StringComparison.OrdinalIgnoreCase));
}
