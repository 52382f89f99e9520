namespace Portal.Benchmarks;

/// <summary>
/// A benchmark run by name: <c>dotnet run -c Release --project tests/Portal.Benchmarks -- NAME [options]</c>.
/// Every implementation in this assembly is found by itself, so a new benchmark is one new file.
/// </summary>
public interface IBenchmark
{
    /// <summary>The name on the command line, such as <c>formats</c>.</summary>
    string Name { get; }

    /// <summary>One line for the list of benchmarks.</summary>
    string Description { get; }

    /// <summary>Runs with the arguments after the name; returns the exit code.</summary>
    Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken);
}
