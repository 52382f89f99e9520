using System.Globalization;
using Portal.Exports;

namespace Portal.Api;

/// <summary>
/// The export API's query-string and body values read by hand, so each wrong one becomes a validation problem that
/// names its field and says what to send instead.
/// </summary>
internal static class ExportApiParameters
{
    internal static readonly string FileFormatNames = string.Join(", ", FileFormats.All.Select(f => f.ApiName()));

    /// <summary>RFC 3339 with an offset (<c>Z</c> or <c>+01:00</c>); null and an entry in <paramref name="errors"/> otherwise.</summary>
    internal static DateTimeOffset? ParseInstant(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = ["Required: an RFC 3339 time such as 2026-11-27T00:00:00Z."];
            return null;
        }
        var hasOffset = value.EndsWith('Z') || value.EndsWith('z') || (value.Length > 6 && value[^6] is '+' or '-' && value[^3] == ':');
        if (value.Length < 20 || value[10] is not ('T' or 't') || !hasOffset
            || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant))
        {
            errors[field] = [$"'{value}' is not an RFC 3339 time with an offset, such as 2026-11-27T00:00:00Z."];
            return null;
        }
        return instant.ToUniversalTime();
    }

    internal static ExportStatus? ParseStatus(string value, Dictionary<string, string[]> errors)
    {
        if (Enum.TryParse<ExportStatus>(value.Replace(" ", "", StringComparison.Ordinal), ignoreCase: true, out var status) && Enum.IsDefined(status))
        {
            return status;
        }
        errors["status"] = [$"'{value}' is not a status; use one of {string.Join(", ", Enum.GetValues<ExportStatus>().Select(ExportApi.StatusName))}."];
        return null;
    }

    internal static FileFormat? ParseFormat(string value, Dictionary<string, string[]> errors)
    {
        if (FileFormats.TryParseApiName(value, out var format))
        {
            return format;
        }
        errors["fileformat"] = [$"'{value}' is not a file format; use one of {FileFormatNames}."];
        return null;
    }

    internal static ExportSort ParseSort(string? value, Dictionary<string, string[]> errors)
    {
        switch (value?.ToLowerInvariant())
        {
            case null or "created_at": return ExportSort.CreatedAt;
            case "updated_at": return ExportSort.UpdatedAt;
            case "status": return ExportSort.Status;
            case "fileformat": return ExportSort.Format;
            case "range_from": return ExportSort.RangeFrom;
            case "owner": return ExportSort.Owner;
            default:
                errors["sort"] = ["Use created_at, updated_at, status, fileformat, range_from or owner."];
                return ExportSort.CreatedAt;
        }
    }

    internal static int ParseInt(string? value, string field, int min, int max, int fallback, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            return number;
        }
        errors[field] = [$"Use a whole number from {min} to {max}."];
        return fallback;
    }

    internal static bool Check(bool valid, string field, string message, Dictionary<string, string[]> errors)
    {
        if (!valid)
        {
            errors[field] = [message];
        }
        return valid;
    }
}
