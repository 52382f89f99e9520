using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using DeviceApi.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Data;
using Portal.Destinations;
using Portal.Downloads;
using Portal.Exports;
using Portal.Hosting;
using Portal.Notifications;
using Portal.Security;
using Portal.Testing;

namespace Portal.Benchmarks;

/// <summary>
/// An export of at least 200 MB (3,000 devices over 1,000 minutes as CSV: three parts) prepared by the simulator on a
/// loopback port (Kestrel, real HTTP), delivered by the portal's delivery worker to Azurite, against
/// <c>BlobClient.UploadAsync</c> of the same files from disk to the same Azurite in the same run. <c>peak_mb</c> is the
/// growth of the process's working set over its level before the delivery, sampled every 10 ms while it runs. Azurite
/// is <c>PORTAL_TEST_AZURITE</c> when set, else one started from <c>~/.cache/portal-tests/azurite</c> (tests/run.sh
/// installs it). Options: <c>--devices N --minutes N</c>.
/// </summary>
public sealed class DeliverBenchmark : IBenchmark
{
    private static readonly DateTimeOffset From = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    public string Name => "deliver";

    public string Description => "a 200 MB export delivered to Azurite against a direct BlobClient.UploadAsync of the same files";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var devices = options.Number("devices", 3_000);
        var minutes = options.Number("minutes", 1_000);
        var directory = Directory.CreateTempSubdirectory("portal-benchmark-deliver-").FullName;
        await using var azurite = await Azurite.StartAsync(directory, cancellationToken);
        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            o.DeviceCount = devices;
            o.Workers = 1;
            o.QueueDelay = TimeSpan.FromMilliseconds(100);
            o.MinimumPreparationTime = TimeSpan.FromMilliseconds(100);
        }, cancellationToken: cancellationToken);
        using var portal = await StartPortalAsync(simulator, directory, cancellationToken);
        try
        {
            var user = new ExportUser("benchmark", "Benchmark", null, IsAdmin: false);
            var service = new BlobServiceClient(azurite.ConnectionString);
            var delivered = service.GetBlobContainerClient("delivered");
            var direct = service.GetBlobContainerClient("direct");
            await delivered.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await direct.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            var registration = await portal.Services.GetRequiredService<DestinationService>().CreateAsync(user,
                new DestinationInput("Benchmark", "azure-blob", azurite.ConnectionString, null, "delivered", null, null, null, null, null, null, null, null), cancellationToken);
            var destination = registration is DestinationRegistration.Created created
                ? created.Destination.Id
                : throw new InvalidOperationException($"The destination was refused: {registration}");

            Console.WriteLine($"# deliver: {devices} devices x {minutes} minutes as CSV, prepared by the simulator");
            var id = await CompletedExportAsync(portal, user, destination, minutes, cancellationToken);
            var files = await DownloadAsync(portal, user, id, directory, cancellationToken);
            var bytes = files.Sum(f => new FileInfo(f).Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {files.Count} files, {bytes:N0} bytes"));

            var directWatch = Stopwatch.StartNew();
            foreach (var file in files)
            {
                await direct.GetBlobClient(Path.GetFileName(file)).UploadAsync(file, cancellationToken);
            }
            directWatch.Stop();

            var worker = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var baseline = Environment.WorkingSet;
            var baselineHeap = GC.GetTotalMemory(forceFullCollection: false);
            long peak = baseline, peakHeap = baselineHeap;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, Environment.WorkingSet);
                    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
                    try
                    {
                        await Task.Delay(10, sampling.Token);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }, CancellationToken.None);
            var watch = Stopwatch.StartNew();
            var claimed = await worker.DeliverDueAsync(cancellationToken);
            watch.Stop();
            await sampling.CancelAsync();
            await sampler;

            await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(cancellationToken))
            {
                var delivery = await db.ExportDeliveries.SingleAsync(d => d.ExportId == id, cancellationToken);
                if (claimed != 1 || delivery.Status != DeliveryStatus.Delivered)
                {
                    throw new InvalidOperationException($"The delivery did not complete: {delivery.Status}, {delivery.Error}");
                }
            }
            long deliveredBytes = 0;
            await foreach (var blob in delivered.GetBlobsAsync(cancellationToken: cancellationToken))
            {
                deliveredBytes += blob.Properties.ContentLength ?? 0;
            }
            if (deliveredBytes != bytes)
            {
                throw new InvalidOperationException($"Azurite holds {deliveredBytes} bytes delivered instead of {bytes}.");
            }

            var seconds = watch.Elapsed.TotalSeconds;
            var directSeconds = directWatch.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# gc_heap_growth_mb={(peakHeap - baselineHeap) / 1048576.0:F1} block_size={portal.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DestinationOptions>>().Value.BlockSize}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"deliver: kind=azure-blob bytes={bytes} seconds={seconds:F2} direct_seconds={directSeconds:F2} ratio={directSeconds / seconds:F2} peak_mb={(peak - baseline) / 1048576.0:F1}"));
            return 0;
        }
        finally
        {
            await portal.StopAsync(CancellationToken.None);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<Guid> CompletedExportAsync(IHost portal, ExportUser user, Guid destination, int minutes, CancellationToken cancellationToken)
    {
        using var scope = portal.Services.CreateScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<IExportSubmissions>().SubmitWithKeyAsync(
            user, new TimeRange(From, From.AddMinutes(minutes)), FileFormat.Csv, idempotencyKey: null, name: null, [destination], cancellationToken);
        var id = outcome is SubmitOutcome.Accepted accepted ? accepted.Export.Id : throw new InvalidOperationException($"Submission refused: {outcome}");
        var exports = new ExportOperations(scope.ServiceProvider);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var details = await exports.GetAsync(user, id, cancellationToken);
            if (details?.Summary.Status == ExportStatus.Completed)
            {
                return id;
            }
            if (deadline.Elapsed > TimeSpan.FromMinutes(15) || details?.Summary.Status is ExportStatus.Failed or ExportStatus.TimedOut)
            {
                throw new InvalidOperationException($"Export {id} is {details?.Summary.Status} after {deadline.Elapsed}.");
            }
            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>The export's files on disk, fetched through fresh links as a user downloads them.</summary>
    private static async Task<List<string>> DownloadAsync(IHost portal, ExportUser user, Guid id, string directory, CancellationToken cancellationToken)
    {
        using var scope = portal.Services.CreateScope();
        var set = await scope.ServiceProvider.GetRequiredService<IDownloadLinks>().GetFilesAsync(user, id, "Benchmark", cancellationToken)
            ?? throw new InvalidOperationException("The export has no files.");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        var paths = new List<string>();
        foreach (var file in set.Files)
        {
            var path = Path.Combine(directory, file.Name);
            await using (var target = File.Create(path))
            await using (var body = await http.GetStreamAsync(file.Url, cancellationToken))
            {
                await body.CopyToAsync(target, cancellationToken);
            }
            paths.Add(path);
        }
        return paths;
    }

    private static async Task<IHost> StartPortalAsync(SimulatorServer simulator, string directory, CancellationToken cancellationToken)
    {
        // Development: Azurite listens on loopback, which only Development lets destinations reach.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory, EnvironmentName = Environments.Development });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}",
            ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
            ["Upstream:ClientId"] = simulator.Options.ClientId,
            ["Upstream:ClientSecret"] = simulator.Options.ClientSecret,
            ["Tracking:PollBudgetPerMinute"] = "100000",
            ["Tracking:MinInterval"] = "00:00:00.200",
            ["Tracking:DenseInterval"] = "00:00:00.500",
            ["Tracking:MaxOpenDuration"] = "01:00:00",
            ["Exports:DailyAllowancePerUser"] = "1000000",
            ["Destinations:AllowPrivateNetworks"] = "true",
            // The benchmark runs the worker itself, timed.
            ["Deliveries:Enabled"] = "false",
            ["Deliveries:LeaseDuration"] = "00:10:00",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditLog>();
        builder.AddExportEngine();
        builder.AddDownloads();
        builder.AddDestinations();
        var portal = builder.Build();
        await portal.StartAsync(cancellationToken);
        return portal;
    }

    /// <summary>The Azurite of <c>tests/run.sh</c>, or one of the benchmark's own on a free loopback port.</summary>
    private sealed class Azurite : IAsyncDisposable
    {
        private Process? _process;

        public string ConnectionString { get; private init; } = "";

        public static async Task<Azurite> StartAsync(string directory, CancellationToken cancellationToken)
        {
            if (Environment.GetEnvironmentVariable("PORTAL_TEST_AZURITE") is { Length: > 0 } shared)
            {
                return new Azurite { ConnectionString = shared };
            }
            var binary = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache/portal-tests/azurite/node_modules/.bin/azurite-blob");
            if (!File.Exists(binary))
            {
                throw new InvalidOperationException($"Azurite is not installed at {binary}: run tests/run.sh once, or set PORTAL_TEST_AZURITE.");
            }
            var port = EnginePorts.Free();
            var location = Path.Combine(directory, "azurite");
            Directory.CreateDirectory(location);
            var process = Process.Start(new ProcessStartInfo(binary,
                ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", location, "--skipApiVersionCheck", "--silent"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            }) ?? throw new InvalidOperationException("Azurite did not start.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await EnginePorts.WaitUntilListeningAsync(port, () => process.HasExited, "azurite-blob");
            return new Azurite
            {
                _process = process,
                ConnectionString = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                    + $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
            };
        }

        public async ValueTask DisposeAsync()
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process?.Dispose();
        }
    }
}
