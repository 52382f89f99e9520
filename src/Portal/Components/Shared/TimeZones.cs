using System.Globalization;
using Portal.Schedules;

namespace Portal.Components.Shared;

/// <summary>The IANA time zones a person picks from, searched by city or region, the browser's own first.</summary>
public static class TimeZones
{
    private static readonly Lazy<IReadOnlyList<string>> Ids = new(() =>
        [.. TimeZoneInfo.GetSystemTimeZones().Select(ScheduleClock.IanaId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);

    /// <summary>
    /// The zones whose id or description contains <paramref name="text"/> (spaces match the ids' underscores, so
    /// "new york" finds America/New_York); all of them for no text. <paramref name="browserZoneId"/> comes first.
    /// </summary>
    public static IEnumerable<string> Search(string? text, string browserZoneId)
    {
        var words = (text ?? "").Trim().Replace('_', ' ');
        var matches = Ids.Value.Where(id => words.Length == 0
            || Describe(id).Contains(words, StringComparison.OrdinalIgnoreCase)
            || id.Contains(words, StringComparison.OrdinalIgnoreCase));
        return matches.Contains(browserZoneId, StringComparer.Ordinal)
            ? [browserZoneId, .. matches.Where(id => id != browserZoneId)]
            : matches;
    }

    /// <summary>How a zone is listed: its id as people read it and its offset now, e.g. <c>Europe/Berlin (UTC+01:00)</c>.</summary>
    public static string Describe(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "";
        }
        if (ScheduleClock.FindZone(id) is not { } zone)
        {
            return id;
        }
        var offset = zone.GetUtcOffset(DateTimeOffset.UtcNow);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return string.Create(CultureInfo.InvariantCulture, $"{id.Replace('_', ' ')} (UTC{sign}{offset.Duration():hh\\:mm})");
    }
}
