using System.Diagnostics;
using System.Globalization;
using DeviceApi.Simulator.Data;
using DeviceApi.Simulator.Formats;
using DeviceStatus.Formats;

namespace Portal.Benchmarks;

/// <summary>
/// Writes one result (by default a day of 1,000 devices at one-minute resolution, 1.44 million rows) in each
/// format through the simulator's own pipeline and reports rows per second and peak memory. Each format runs in
/// a child process of its own, so its peak working set is its alone.
/// Options: <c>--devices N --minutes N --format NAME</c>.
/// </summary>
public sealed class FormatsBenchmark : IBenchmark
{
    private const string ChildFlag = "--child";
    private static readonly DateTime Day = new(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);

    public string Name => "formats";

    public string Description => "rows/s and peak memory of writing each result file format (--devices 1000 --minutes 1440)";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var devices = options.Number("devices", 1_000);
        var minutes = options.Number("minutes", 1_440);
        if (args.Contains(ChildFlag))
        {
            return await MeasureAsync(Parse(options.Value("format")), devices, minutes, cancellationToken);
        }

        var formats = options.Value("format") is { } one ? [Parse(one)] : FileFormats.All;
        Console.WriteLine($"# formats: {devices} devices x {minutes} minutes = {(long)devices * minutes} rows per format");
        var exitCode = 0;
        foreach (var format in formats)
        {
            exitCode |= await RunChildAsync(format, devices, minutes, cancellationToken);
        }

        return exitCode;
    }

    private static FileFormat Parse(string? name) =>
        FileFormats.TryParseApiName(name, out var format) ? format : throw new ArgumentException($"Unknown format '{name}'.");

    private async Task<int> RunChildAsync(FileFormat format, int devices, int minutes, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = false, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            start.ArgumentList.Add(typeof(FormatsBenchmark).Assembly.Location);
        }

        foreach (var argument in new[] { Name, ChildFlag, "--format", format.ApiName(), "--devices", Text(devices), "--minutes", Text(minutes) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start)!;
        await child.WaitForExitAsync(cancellationToken);
        return child.ExitCode;
    }

    private static async Task<int> MeasureAsync(FileFormat format, int devices, int minutes, CancellationToken cancellationToken)
    {
        var rows = new DeviceStatusGenerator(devices, seed: 20261127).Rows(Day, Day.AddMinutes(minutes));
        var folder = Directory.CreateTempSubdirectory("portal-benchmark-formats-").FullName;
        try
        {
            var watch = Stopwatch.StartNew();
            var files = await ResultFiles.WriteAsync(rows, format, folder, cancellationToken: cancellationToken);
            watch.Stop();

            using var self = Process.GetCurrentProcess();
            self.Refresh();
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"format={format.ApiName()} rows={rows.Count} seconds={seconds:F2} rows_per_s={rows.Count / seconds:F0} " +
                $"peak_mb={self.PeakWorkingSet64 / (1024.0 * 1024.0):F1} parts={files.Count} file_mb={files.Sum(f => f.Length) / (1024.0 * 1024.0):F1}"));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
