using System.Globalization;
using Microsoft.JSInterop;

namespace Portal.Components.Shared;

/// <summary>
/// The browser's time zone, read once per circuit. Times are stored and submitted in UTC and shown in this zone;
/// until the browser has answered (prerendering) it is UTC, and pages say which zone they show.
/// </summary>
public sealed class UserTimeZone(IJSRuntime js, ILogger<UserTimeZone> logger)
{
    private Task<bool>? _resolving;

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>The zone's IANA or Windows id, as users know it (<c>Europe/Berlin</c>).</summary>
    public string Name => Zone.Id;

    /// <summary>Asks the browser once; true when the zone changed, so the caller re-renders. Call after the first render.</summary>
    public Task<bool> ResolveAsync() => _resolving ??= ResolveCoreAsync();

    private async Task<bool> ResolveCoreAsync()
    {
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", "./js/time-zone.js");
            var id = await module.InvokeAsync<string?>("timeZone");
            if (string.IsNullOrEmpty(id) || !TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) || zone.Id == Zone.Id)
            {
                return false;
            }
            Zone = zone;
            return true;
        }
        catch (JSException ex)
        {
            logger.LogWarning(ex, "The browser did not tell its time zone; showing UTC.");
            return false;
        }
        catch (JSDisconnectedException)
        {
            return false;
        }
    }

    public DateTime ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone).DateTime;

    /// <summary>The UTC instant of a wall-clock time in the user's zone; null when the clocks skip it.</summary>
    public DateTimeOffset? ToUtc(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(unspecified))
        {
            return null;
        }
        return new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(unspecified, Zone), TimeSpan.Zero);
    }

    /// <summary>Short local date and time, e.g. <c>2026-11-28 14:05</c>.</summary>
    public string Format(DateTimeOffset instant) => ToLocal(instant).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Local date and time with seconds, for timelines.</summary>
    public string FormatPrecise(DateTimeOffset instant) => ToLocal(instant).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A long, unambiguous local form, e.g. <c>Sat 28 Nov 2026, 14:05</c>.</summary>
    public string FormatLong(DateTimeOffset instant) => ToLocal(instant).ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);

    public static string FormatUtc(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
