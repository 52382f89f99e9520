using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Portal.Components.Shared;

/// <summary>
/// Values of the browser's date, time and number inputs, read as the browser sends them and written as it shows them.
/// Blazor sends a <c>datetime-local</c> value as <c>yyyy-MM-ddTHH:mm:ss</c> and a <c>time</c> as <c>HH:mm:ss</c>; a
/// script or an older browser may leave the seconds out or add fractions. Forms keep the text as it came, so a value
/// that does not parse stays on screen with a message beside it instead of being blanked.
/// </summary>
public static class BrowserInput
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
    ];

    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss", "HH:mm:ss.FFFFFFF"];

    /// <summary>A wall-clock date and time as a <c>datetime-local</c> input sends it, with or without (fractional) seconds.</summary>
    public static bool TryParseDateTime([NotNullWhen(true)] string? text, out DateTime value) =>
        DateTime.TryParseExact(text?.Trim(), DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    /// <summary>A time of day as a <c>time</c> input sends it, with or without (fractional) seconds.</summary>
    public static bool TryParseTime([NotNullWhen(true)] string? text, out TimeOnly value) =>
        TimeOnly.TryParseExact(text?.Trim(), TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    /// <summary>A day as a <c>date</c> input sends it.</summary>
    public static bool TryParseDate([NotNullWhen(true)] string? text, out DateOnly value) =>
        DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);

    /// <summary>A whole number as typed: digits, optionally signed, surrounding spaces ignored.</summary>
    public static bool TryParseInt([NotNullWhen(true)] string? text, out int value) =>
        int.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>The value a <c>datetime-local</c> input shows, to the minute.</summary>
    public static string FormatDateTime(DateTime value) => value.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The value a <c>time</c> input shows, to the minute.</summary>
    public static string FormatTime(TimeOnly value) => value.ToString("HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The value a <c>date</c> input shows.</summary>
    public static string FormatDate(DateOnly value) => value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string FormatInt(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The value as the field itself holds it: browsers drop zero seconds (<c>14:00</c>, not <c>14:00:00</c>), and
    /// Blazor adds them to what it sends. Rendering the field's own form means a re-render writes nothing into it.
    /// </summary>
    public static string AsShown(string type, string? text) => (type, text) switch
    {
        (_, null) => "",
        ("datetime-local", { Length: 19 }) when text.EndsWith(":00", StringComparison.Ordinal) && TryParseDateTime(text, out _) => text[..16],
        ("time", { Length: 8 }) when text.EndsWith(":00", StringComparison.Ordinal) && TryParseTime(text, out _) => text[..5],
        _ => text,
    };
}
