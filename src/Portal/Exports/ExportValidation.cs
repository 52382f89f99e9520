namespace Portal.Exports;

/// <summary>The upstream's rules for a submission, checked before anything is stored; keys as the upstream names fields.</summary>
public static class ExportValidation
{
    /// <summary>Errors by field; <c>name</c> is the portal's own field, optional (<see cref="ExportNames.Problem"/>).</summary>
    public static IReadOnlyDictionary<string, string[]> Validate(TimeRange range, FileFormat format, DateTimeOffset now, ExportsOptions options, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new Dictionary<string, string[]>();
        var rangeErrors = new List<string>();
        if (range.From >= range.To)
        {
            rangeErrors.Add("The start must be before the end.");
        }
        else if (range.Span > options.MaxSpan)
        {
            rangeErrors.Add($"The range may span at most {options.MaxSpan.TotalDays:0.#} days.");
        }
        if (range.To > now + options.MaxFuture)
        {
            rangeErrors.Add($"The range may end at most {options.MaxFuture.TotalMinutes:0} minutes from now.");
        }
        if (rangeErrors.Count > 0)
        {
            errors["timerange"] = [.. rangeErrors];
        }
        if (!Enum.IsDefined(format))
        {
            errors["fileformat"] = ["Unknown file format."];
        }
        if (ExportNames.Problem(name) is { } nameProblem)
        {
            errors["name"] = [nameProblem];
        }
        return errors;
    }
}
