using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeviceApi.Simulator.Formats;

namespace DeviceApi.Simulator.Api;

/// <summary>A valid submit body: the time range in UTC and the file format.</summary>
internal sealed partial record SubmitRequest(DateTime From, DateTime To, FileFormat Format)
{
    public static readonly TimeSpan MaxSpan = TimeSpan.FromDays(31);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    /// <summary>Validates a body by the contract's rules; errors are keyed by the request's field names.</summary>
    public static SubmitRequest? Parse(JsonElement body, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        DateTime? from = null, to = null;
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["The body must be a JSON object."];
            return null;
        }

        if (!body.TryGetProperty("timerange", out var range) || range.ValueKind == JsonValueKind.Null)
        {
            errors["timerange"] = ["The timerange is required."];
        }
        else if (range.ValueKind != JsonValueKind.Object)
        {
            errors["timerange"] = ["The timerange must be an object with from and to."];
        }
        else
        {
            from = ParseBound(range, "from", errors);
            to = ParseBound(range, "to", errors);
        }

        var format = FileFormat.Csv;
        if (body.TryGetProperty("fileformat", out var formatElement) && formatElement.ValueKind != JsonValueKind.Null
            && (formatElement.ValueKind != JsonValueKind.String || !FileFormats.TryParseApiName(formatElement.GetString(), out format)))
        {
            errors["fileformat"] = [$"The fileformat must be one of {string.Join(", ", FileFormats.All.Select(f => f.ApiName()))}."];
        }

        if (from is { } start && to is { } end)
        {
            if (start >= end)
            {
                errors["timerange"] = ["timerange.from must be before timerange.to."];
            }
            else if (end - start > MaxSpan)
            {
                errors["timerange"] = ["The timerange may span at most 31 days."];
            }
            else if (end > now.UtcDateTime + MaxAhead)
            {
                errors["timerange"] = ["timerange.to may be at most 5 minutes after the server's clock."];
            }
        }

        return errors.Count == 0 ? new SubmitRequest(from!.Value, to!.Value, format) : null;
    }

    private static DateTime? ParseBound(JsonElement range, string name, Dictionary<string, string[]> errors)
    {
        var key = "timerange." + name;
        if (!range.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            errors[key] = [$"{key} is required."];
            return null;
        }

        if (element.ValueKind == JsonValueKind.String && TryParseRfc3339(element.GetString()!, out var value))
        {
            return value;
        }

        errors[key] = [$"{key} must be an RFC 3339 time with an offset, such as 2026-11-27T00:00:00Z."];
        return null;
    }

    /// <summary>RFC 3339 with any offset and up to 7 fractional digits, converted to UTC.</summary>
    public static bool TryParseRfc3339(string text, out DateTime utc)
    {
        utc = default;
        if (!Rfc3339Pattern().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return false;
        }

        utc = value.UtcDateTime;
        return true;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339Pattern();
}
