using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;
using Portal.Exports;

namespace Portal.Downloads;

/// <summary>
/// The name a result file gets when the portal serves it (a proxied download, an entry of the zip, the files table):
/// <c>device-status_CSV_2026-12-05T1000Z_2026-12-05T1100Z_part-00000.csv</c>, so files of different exports never
/// collide in a downloads folder.
/// </summary>
public static class ResultFileNames
{
    private const int MaxPartNameLength = 80;

    /// <summary>
    /// Format, range start and end in UTC, the part's name as the device platform gives it, and the format's own
    /// extension. Only the vendor's base name is kept, and only its letters, digits, <c>-</c>, <c>_</c> and single dots,
    /// so whatever its URL says the result is a plain file name.
    /// </summary>
    public static string For(FileFormat format, TimeRange range, string? vendorName, int part) =>
        Build(format, range, PartName(vendorName, format) ?? string.Create(CultureInfo.InvariantCulture, $"part-{part:D5}"));

    private static string Build(FileFormat format, TimeRange range, string partName) =>
        string.Create(CultureInfo.InvariantCulture,
            $"device-status_{format.ApiName()}_{Stamp(range.From)}_{Stamp(range.To)}_{partName}.{format.Extension()}");

    /// <summary>
    /// The names of every part of one export by part, as <see cref="For"/> gives them and unique within the export: a
    /// part whose name an earlier part already took gets its part number added. The zip's entries, the download's
    /// <c>Content-Disposition</c>, the API's <c>files[].name</c> and the files table all use these.
    /// </summary>
    public static IReadOnlyDictionary<int, string> ForAll(FileFormat format, TimeRange range, IEnumerable<(int Part, string? VendorName)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var names = new Dictionary<int, string>();
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (part, vendorName) in parts.OrderBy(p => p.Part))
        {
            var partName = PartName(vendorName, format);
            var name = Build(format, range, partName ?? $"part-{part:D5}");
            for (var extra = 0; !taken.Add(name); extra++)
            {
                name = Build(format, range, string.Create(CultureInfo.InvariantCulture,
                    $"{partName ?? "part"}_part-{part:D5}{(extra == 0 ? "" : $"-{extra}")}"));
            }
            names[part] = name;
        }
        return names;
    }

    /// <summary><c>attachment</c> with the name, and its RFC 5987 <c>filename*</c> form when it is not plain ASCII.</summary>
    public static string ContentDisposition(string fileName)
    {
        var disposition = new ContentDispositionHeaderValue("attachment");
        if (fileName.All(char.IsAscii))
        {
            disposition.FileName = fileName;
        }
        else
        {
            disposition.SetHttpFileName(fileName);
        }
        return disposition.ToString();
    }

    private static string Stamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HHmm'Z'", CultureInfo.InvariantCulture);

    /// <summary>The vendor's name without folders and without the format's extension, made safe; null when nothing is left.</summary>
    private static string? PartName(string? vendorName, FileFormat format)
    {
        var name = (vendorName ?? "").Split('/', '\\')[^1];
        var extension = "." + format.Extension();
        if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
        {
            name = name[..^extension.Length];
        }

        var safe = new StringBuilder(Math.Min(name.Length, MaxPartNameLength));
        foreach (var c in name)
        {
            if (safe.Length == MaxPartNameLength)
            {
                break;
            }
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            {
                safe.Append(c);
            }
            else if (c == '.')
            {
                // Never two in a row, so never "..".
                if (safe.Length > 0 && safe[^1] != '.')
                {
                    safe.Append(c);
                }
            }
            else if (!char.IsControl(c) && safe.Length > 0 && safe[^1] != '-')
            {
                safe.Append('-');
            }
        }
        var result = safe.ToString().Trim('.', '-');
        return result.Length == 0 ? null : result;
    }
}
