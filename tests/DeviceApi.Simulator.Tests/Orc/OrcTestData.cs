using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using DeviceApi.Simulator.Formats.Orc;

namespace DeviceApi.Simulator.Tests.Orc;

/// <summary>The reference files of Apache ORC, in <c>shared/testdata/orc</c> next to the repository.</summary>
internal static class OrcTestData
{
    public static string Directory { get; } = Locate();

    public static string File(string name) => Path.Combine(Directory, name);

    public static IEnumerable<JsonElement> ExpectedRows(string orcName)
    {
        var path = Path.Combine(Directory, "expected", Path.ChangeExtension(orcName, ".jsn.gz"));
        using var reader = new StreamReader(new GZipStream(System.IO.File.OpenRead(path), CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                using var document = JsonDocument.Parse(line);
                yield return document.RootElement.Clone();
            }
        }
    }

    /// <summary>Compares a value the reader returned with the JSON the ORC tools printed for it.</summary>
    public static void AssertMatches(JsonElement expected, object? actual, string path, bool legacyDecimal = false)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Null:
                Assert.True(actual is null, $"{path}: expected null, got {actual}");
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                Assert.Equal(expected.GetBoolean(), Assert.IsType<bool>(actual));
                break;
            case JsonValueKind.Number:
                AssertNumber(expected, actual, path, legacyDecimal);
                break;
            case JsonValueKind.String:
                var text = actual switch
                {
                    OrcTimestamp timestamp => timestamp.ToString(),
                    DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    string s => s,
                    _ => throw new Xunit.Sdk.XunitException($"{path}: expected a string, got {actual?.GetType().Name}"),
                };
                Assert.True(expected.GetString() == text, $"{path}: expected {expected.GetString()}, got {text}");
                break;
            case JsonValueKind.Array:
                AssertArray(expected, actual, path);
                break;
            case JsonValueKind.Object:
                var fields = Assert.IsType<Dictionary<string, object?>>(actual);
                Assert.Equal(expected.EnumerateObject().Count(), fields.Count);
                foreach (var property in expected.EnumerateObject())
                {
                    Assert.True(fields.TryGetValue(property.Name, out var value), $"{path}: no field {property.Name}");
                    AssertMatches(property.Value, value, $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Undefined:
            default:
                throw new Xunit.Sdk.XunitException($"{path}: unexpected JSON {expected.ValueKind}");
        }
    }

    private static void AssertNumber(JsonElement expected, object? actual, string path, bool legacyDecimal)
    {
        var matches = actual switch
        {
            sbyte or short or int or long => expected.TryGetInt64(out var l) && l == Convert.ToInt64(actual, CultureInfo.InvariantCulture),
            // The tools print floats with fewer digits than a round trip needs.
            float f => Math.Abs(expected.GetDouble() - f) <= 1e-6 * Math.Max(1, Math.Abs(f)),
            double d => expected.GetDouble() == d,
            // Decimals of format 0.11 have no declared scale; the C++ tool prints them cut to its default scale 6.
            decimal m when legacyDecimal => expected.GetDecimal() == decimal.Round(m, 6, MidpointRounding.ToZero),
            decimal m => expected.GetDecimal() == m,
            _ => false,
        };
        Assert.True(matches, $"{path}: expected {expected.GetRawText()}, got {actual} ({actual?.GetType().Name})");
    }

    private static void AssertArray(JsonElement expected, object? actual, string path)
    {
        var items = expected.EnumerateArray().ToList();
        switch (actual)
        {
            case byte[] bytes:
                Assert.Equal(items.Select(i => (byte)i.GetInt32()), bytes);
                break;
            case List<object?> list:
                Assert.True(items.Count == list.Count, $"{path}: expected {items.Count} elements, got {list.Count}");
                for (var i = 0; i < items.Count; i++)
                {
                    AssertMatches(items[i], list[i], $"{path}[{i}]");
                }

                break;
            case List<KeyValuePair<object?, object?>> map:
                Assert.True(items.Count == map.Count, $"{path}: expected {items.Count} entries, got {map.Count}");
                for (var i = 0; i < items.Count; i++)
                {
                    AssertMatches(items[i].GetProperty("key"), map[i].Key, $"{path}[{i}].key");
                    AssertMatches(items[i].GetProperty("value"), map[i].Value, $"{path}[{i}].value");
                }

                break;
            default:
                throw new Xunit.Sdk.XunitException($"{path}: expected an array, got {actual?.GetType().Name}");
        }
    }

    private static string Locate()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "testdata", "orc");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No shared/testdata/orc beside the repository above {AppContext.BaseDirectory}.");
    }
}
