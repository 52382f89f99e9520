using System.Globalization;

namespace Portal.Benchmarks;

/// <summary><c>--name value</c> options of a benchmark's command line.</summary>
public sealed class BenchmarkArguments(IReadOnlyList<string> args)
{
    public string? Value(string name)
    {
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == "--" + name)
            {
                return args[i + 1];
            }
        }

        return null;
    }

    public int Number(string name, int fallback) =>
        Value(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
