using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Testing;
using Portal.Data;
using Portal.Security;
using Portal.Hosting;
using Portal.Downloads;
using Portal.Exports;
using Portal.Notifications;
using Portal.Previews;
using Portal.Tracking;
using Portal.Upstream;
using DeviceApi.Simulator;
using DeviceApi.Simulator.Downloads;

namespace Portal.Benchmarks;

/// <summary>
/// For each format, a 1,000,000-row file (1,000 devices over 1,000 minutes) prepared by the simulator on a loopback
/// port, then previewed through the portal's own service (scoped lookup, fresh link, ranged reads): the time to the
/// first rows, the bytes read and the ranged requests, as counted by the simulator. One untimed preview per format warms
/// the code paths. Each format is previewed once per added latency (<c>--latency-ms 0,50</c>): that many milliseconds
/// are added before every answer of the file host, as a vendor far away adds them to each ranged read.
/// Options: <c>--devices N --minutes N --format NAME --latency-ms 0,50</c>.
/// </summary>
public sealed class PreviewBenchmark : IBenchmark
{
    private static readonly DateTimeOffset From = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    public string Name => "preview";

    public string Description => "time to the first rows and bytes read when previewing a 1,000,000-row file of each format";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var devices = options.Number("devices", 1_000);
        var minutes = options.Number("minutes", 1_000);
        var latencies = (options.Value("latency-ms") ?? "0,50").Split(',')
            .Select(text => TimeSpan.FromMilliseconds(int.Parse(text, CultureInfo.InvariantCulture))).ToList();
        var formats = options.Value("format") is { } one
            ? [FileFormats.TryParseApiName(one, out var parsed) ? parsed : throw new ArgumentException($"Unknown format '{one}'.")]
            : FileFormats.All;

        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            o.DeviceCount = devices;
            o.QueueDelay = TimeSpan.FromMilliseconds(100);
            o.MinimumPreparationTime = TimeSpan.FromMilliseconds(100);
        }, cancellationToken: cancellationToken);
        var directory = Directory.CreateTempSubdirectory("portal-benchmark-preview-").FullName;
        var latency = new AddedLatency();
        using var portal = await StartPortalAsync(simulator, directory, latency, cancellationToken);
        var meter = simulator.Services.GetRequiredService<DownloadMeter>();
        var user = new ExportUser("benchmark", "Benchmark", null, IsAdmin: false);
        Console.WriteLine($"# preview: {devices} devices x {minutes} minutes = {(long)devices * minutes} rows per file");
        try
        {
            foreach (var format in formats)
            {
                var id = await CompletedExportAsync(portal, user, format, minutes, cancellationToken);
                latency.Delay = TimeSpan.Zero;
                Console.WriteLine($"# {format.ApiName()}: {(await PreviewAsync(portal, user, id, cancellationToken)).FileBytes} file bytes");
                foreach (var delay in latencies)
                {
                    latency.Delay = delay;
                    var servedBefore = meter.BytesServed;
                    var requestsBefore = meter.Responses;
                    var watch = Stopwatch.StartNew();
                    var preview = await PreviewAsync(portal, user, id, cancellationToken);
                    watch.Stop();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"preview: format={format.ApiName()} first_rows_ms={watch.Elapsed.TotalMilliseconds:F0} bytes_read={meter.BytesServed - servedBefore} requests={meter.Responses - requestsBefore} latency_ms={delay.TotalMilliseconds:F0}"));
                }
            }

            return 0;
        }
        finally
        {
            await portal.StopAsync(CancellationToken.None);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<DeviceStatus.Formats.Preview.FilePreview> PreviewAsync(IHost portal, ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        using var scope = portal.Services.CreateScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<IFilePreviewService>().PreviewAsync(user, id, 0, cancellationToken);
        return outcome is PreviewOutcome.Shown { Preview: { Rows.Count: 100 } preview }
            ? preview
            : throw new InvalidOperationException($"No preview: {outcome}");
    }

    private static async Task<Guid> CompletedExportAsync(IHost portal, ExportUser user, FileFormat format, int minutes, CancellationToken cancellationToken)
    {
        using var scope = portal.Services.CreateScope();
        var exports = new ExportOperations(scope.ServiceProvider);
        var outcome = await exports.SubmitAsync(user, new TimeRange(From, From.AddMinutes(minutes)), format, cancellationToken);
        var id = outcome is SubmitOutcome.Accepted accepted ? accepted.Export.Id : throw new InvalidOperationException($"Submission refused: {outcome}");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var details = await exports.GetAsync(user, id, cancellationToken);
            if (details?.Summary.Status == ExportStatus.Completed)
            {
                return id;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(3) || details?.Summary.Status is ExportStatus.Failed or ExportStatus.TimedOut)
            {
                throw new InvalidOperationException($"Export {id} is {details?.Summary.Status} after {deadline.Elapsed}.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task<IHost> StartPortalAsync(SimulatorServer simulator, string directory, AddedLatency latency, CancellationToken cancellationToken)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}",
            ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
            ["Upstream:ClientId"] = simulator.Options.ClientId,
            ["Upstream:ClientSecret"] = simulator.Options.ClientSecret,
            ["Tracking:PollBudgetPerMinute"] = "100000",
            ["Tracking:MinInterval"] = "00:00:00.200",
            ["Tracking:DenseInterval"] = "00:00:00.200",
            ["Exports:MaxSubmissionsPerMinute"] = "10000",
            ["Exports:DailyAllowancePerUser"] = "100000",
            ["RateLimits:FilesPerWindow"] = "1000000",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditLog>();
        builder.AddExportEngine();
        builder.AddDownloads();
        builder.Services.AddHttpClient(DownloadEndpoints.HttpClientName).AddHttpMessageHandler(() => new DelayingHandler(latency));
        builder.AddFilePreviews();
        var portal = builder.Build();
        await portal.StartAsync(cancellationToken);
        return portal;
    }

    /// <summary>The latency added to each answer of the file host; changed between runs.</summary>
    private sealed class AddedLatency
    {
        public TimeSpan Delay { get; set; }
    }

    /// <summary>Waits before every answer, as the round trip to a distant file host does.</summary>
    private sealed class DelayingHandler(AddedLatency latency) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (latency.Delay > TimeSpan.Zero)
            {
                await Task.Delay(latency.Delay, cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
