using System.Globalization;
using System.Text;

namespace Portal.Destinations;

/// <summary>
/// Renders a destination's path template for one file: <c>{format}</c>, <c>{from}</c> and <c>{to}</c> (UTC, with an
/// optional .NET format such as <c>{from:yyyy-MM-dd}</c>), <c>{export}</c> (the export's id), <c>{name}</c> (its name,
/// made safe for a path), <c>{part}</c> and <c>{ext}</c>.
/// </summary>
public static class DestinationPaths
{
    public const string DefaultTemplate = "{format}/{from:yyyy-MM-dd}/{export}-{part}.{ext}";

    private const string DefaultTimeFormat = "yyyy-MM-dd'T'HH-mm-ss'Z'";

    public static IReadOnlyList<string> Placeholders { get; } = ["format", "from", "to", "export", "name", "part", "ext"];

    public static string Render(string template, ExportPathValues values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var path = new StringBuilder();
        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            if (open < 0)
            {
                path.Append(template, at, template.Length - at);
                break;
            }
            path.Append(template, at, open - at);
            var close = template.IndexOf('}', open);
            if (close < 0)
            {
                throw new FormatException($"The path template has a '{{' without its '}}' at {open}.");
            }
            path.Append(Value(template[(open + 1)..close], values));
            at = close + 1;
        }
        return string.Join('/', path.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Why <paramref name="template"/> cannot be used, or null when it can.</summary>
    public static string? Check(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (string.IsNullOrWhiteSpace(template))
        {
            return $"Enter a path template, e.g. {DefaultTemplate}.";
        }
        try
        {
            var sample = new ExportPathValues(Guid.Empty, "sample", "csv", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 1, "csv");
            var one = Render(template, sample);
            var two = Render(template, sample with { Part = 2 });
            if (one.Length == 0 || one.EndsWith('/'))
            {
                return "The path template renders an empty file name.";
            }
            if (one == two)
            {
                return "The path template must tell the files of an export apart: use {part}.";
            }
            if (one.Split('/').Any(segment => segment is "." or ".."))
            {
                return "The path template must not contain '.' or '..' folders.";
            }
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    private static string Value(string placeholder, ExportPathValues values)
    {
        var colon = placeholder.IndexOf(':', StringComparison.Ordinal);
        var name = (colon < 0 ? placeholder : placeholder[..colon]).Trim();
        var format = colon < 0 ? null : placeholder[(colon + 1)..];
        if (format is not null && name is not ("from" or "to"))
        {
            throw new FormatException($"{{{name}}} takes no format; only {{from:...}} and {{to:...}} do.");
        }
        return name switch
        {
            "format" => values.Format.ToLowerInvariant(),
            "from" => Time(values.From, format),
            "to" => Time(values.To, format),
            "export" => values.ExportId.ToString("D"),
            "name" => Safe(values.ExportName),
            "part" => values.Part.ToString(CultureInfo.InvariantCulture),
            "ext" => values.Extension.TrimStart('.'),
            _ => throw new FormatException($"Unknown placeholder {{{name}}}; use {string.Join(", ", Placeholders.Select(p => $"{{{p}}}"))}."),
        };
    }

    private static string Time(DateTimeOffset time, string? format)
    {
        try
        {
            // A format may make folders ({from:yyyy/MM/dd}); Render drops the empty ones.
            return time.UtcDateTime.ToString(string.IsNullOrEmpty(format) ? DefaultTimeFormat : format, CultureInfo.InvariantCulture).Replace('\\', '_');
        }
        catch (FormatException)
        {
            throw new FormatException($"'{format}' is not a date format; try yyyy-MM-dd.");
        }
    }

    /// <summary>A value as one path segment: no separators, no control or reserved characters.</summary>
    private static string Safe(string value)
    {
        var safe = new StringBuilder(value.Length);
        foreach (var c in value.Trim())
        {
            safe.Append(char.IsControl(c) || c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|' ? '_' : c);
        }
        var text = safe.ToString();
        return text is "" or "." or ".." ? "_" : text;
    }
}
