using Portal.Exports;

namespace Portal.Components.Pages.Exports;

/// <summary>The upstream's limits on a time range, checked before submitting so the user sees them at once.</summary>
public static class RangeRules
{
    public static readonly TimeSpan MaxSpan = TimeSpan.FromDays(31);

    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    /// <summary>Problems with the range, keyed <c>from</c>, <c>to</c> or <c>range</c>; empty when it can be submitted.</summary>
    public static Dictionary<string, string> Check(DateTimeOffset? from, DateTimeOffset? to, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string>();
        if (from is null)
        {
            errors["from"] = "Enter when the range starts.";
        }
        if (to is null)
        {
            errors["to"] = "Enter when the range ends.";
        }
        else if (to > now + MaxAhead)
        {
            errors["to"] = "The end can be at most 5 minutes from now.";
        }
        if (from is { } f && to is { } t)
        {
            if (f >= t)
            {
                errors["range"] = "The start must be before the end.";
            }
            else if (t - f > MaxSpan)
            {
                errors["range"] = "A range can span at most 31 days: move the start or the end closer together.";
            }
        }
        return errors;
    }

    /// <summary>Maps the service's field names (<c>timerange.from</c>, ...) onto the form's.</summary>
    public static string FieldOf(string serviceKey) => serviceKey.ToLowerInvariant() switch
    {
        "timerange.from" => "from",
        "timerange.to" => "to",
        "fileformat" => "format",
        _ => "range",
    };

    public static long EstimateRows(TimeRange range, int deviceCount) => range.Minutes * deviceCount;
}
