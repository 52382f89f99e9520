using Portal.Benchmarks;

var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(type => type is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(type))
    .Select(type => (IBenchmark)Activator.CreateInstance(type)!)
    .OrderBy(benchmark => benchmark.Name, StringComparer.Ordinal)
    .ToList();

var selected = args.Length > 0 ? benchmarks.FirstOrDefault(b => b.Name == args[0]) : null;
if (selected is null)
{
    Console.Error.WriteLine("Usage: dotnet run -c Release --project tests/Portal.Benchmarks -- NAME [options]");
    foreach (var benchmark in benchmarks)
    {
        Console.Error.WriteLine($"  {benchmark.Name,-12} {benchmark.Description}");
    }

    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};
return await selected.RunAsync(args[1..], cancellation.Token);
