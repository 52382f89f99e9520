using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;
using Portal.Testing;

namespace Portal.Benchmarks;

/// <summary>
/// Many people downloading at once in <c>Downloads:Mode=Proxy</c>: the vendor's simulator runs as a process of its
/// own (its CPU is not the portal's), one large result file (CSV, 1,000,000 rows) is prepared, and then, in the same
/// run, the same concurrent downloads are taken straight from the file host's link and through the portal's
/// <c>/exports/{id}/files/0</c> (Kestrel on loopback, a signed-in user's cookie). Reports the aggregate throughput of
/// each and the growth of this process's working set over its size before the downloads through the portal.
/// Options: <c>--downloads 20 --devices 1000 --minutes 1000</c>.
/// </summary>
public sealed class ProxyBenchmark : IBenchmark
{
    private static readonly DateTimeOffset From = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    public string Name => "proxy";

    public string Description => "concurrent downloads through the portal (Proxy mode) against the same downloads taken directly";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var downloads = options.Number("downloads", 20);
        var devices = options.Number("devices", 1_000);
        var minutes = options.Number("minutes", 1_000);
        var directory = Directory.CreateTempSubdirectory("portal-benchmark-proxy-").FullName;
        using var simulator = StartSimulator(devices, directory, out var simulatorAddress);
        try
        {
            await WaitForAsync(simulatorAddress, cancellationToken);
            await using var portal = new ProxyPortal(new Dictionary<string, string?>
            {
                ["Database:Provider"] = "Sqlite",
                ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}",
                ["Upstream:BaseUrl"] = simulatorAddress.ToString(),
                ["Upstream:ClientId"] = "portal",
                ["Upstream:ClientSecret"] = "portal-secret",
                ["Downloads:Mode"] = "Proxy",
                ["RateLimits:FilesPerWindow"] = "10000",
                ["Tracking:MinInterval"] = "00:00:00.200",
                ["Tracking:DenseInterval"] = "00:00:00.200",
            });
            portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            portal.StartServer();
            var portalAddress = new Uri(portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

            const string name = "Proxy User";
            var jar = new CookieContainer();
            using (var signIn = new HttpClient(new HttpClientHandler { CookieContainer = jar }) { BaseAddress = portalAddress })
            {
                await HistoryBenchmark.SignInAsync(signIn, name, admin: false, cancellationToken);
            }

            var user = new ExportUser(DevelopmentUserStore.IdFor(name), name, null, IsAdmin: false);
            var id = await CompletedExportAsync(portal.Services, user, minutes, cancellationToken);
            DownloadLink link;
            using (var scope = portal.Services.CreateScope())
            {
                link = await scope.ServiceProvider.GetRequiredService<IDownloadLinks>().GetDownloadAsync(user, id, 0, cancellationToken)
                    ?? throw new InvalidOperationException("No download link.");
            }

            using var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = int.MaxValue })
            {
                Timeout = TimeSpan.FromMinutes(10),
            };
            var viaPortal = new Uri(portalAddress, $"/exports/{id}/files/0");
            var cookie = jar.GetCookieHeader(portalAddress);
            Console.WriteLine($"# proxy: {downloads} concurrent downloads of part 0 ({devices} devices x {minutes} minutes, CSV), simulator in its own process at {simulatorAddress}");

            // One of each first, untimed, so connections and code paths are warm.
            await DownloadAsync(client, link.Url, null, 1, cancellationToken);
            await DownloadAsync(client, viaPortal, cookie, 1, cancellationToken);

            var direct = await DownloadAsync(client, link.Url, null, downloads, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# direct: {direct.Bytes} bytes in {direct.Seconds:F2} s"));
            var baseline = Settle();
            using var sampler = new PeakSampler();
            var proxied = await DownloadAsync(client, viaPortal, cookie, downloads, cancellationToken);
            var peakMb = (sampler.Stop() - baseline) / (1024.0 * 1024);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# portal: {proxied.Bytes} bytes in {proxied.Seconds:F2} s; working set before {baseline / (1024.0 * 1024):F0} MB"));
            if (proxied.Bytes != direct.Bytes)
            {
                throw new InvalidOperationException($"The portal sent {proxied.Bytes} bytes, the file host {direct.Bytes}.");
            }

            var directRate = direct.Bytes / (1024.0 * 1024) / direct.Seconds;
            var portalRate = proxied.Bytes / (1024.0 * 1024) / proxied.Seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"proxy: downloads={downloads} direct_mb_s={directRate:F0} portal_mb_s={portalRate:F0} ratio={portalRate / directRate:F2} peak_mb={Math.Max(0, peakMb):F0}"));
            return 0;
        }
        finally
        {
            if (!simulator.HasExited)
            {
                simulator.Kill(entireProcessTree: true);
                await simulator.WaitForExitAsync(CancellationToken.None);
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The simulator's own program, as the vendor runs apart from the portal, on a free loopback port.</summary>
    private static Process StartSimulator(int devices, string directory, out Uri address)
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            address = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }

        var program = Path.Combine(AppContext.BaseDirectory, "DeviceApi.Simulator.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(program);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(address.ToString());
        start.Environment["Simulator__DeviceCount"] = devices.ToString(CultureInfo.InvariantCulture);
        start.Environment["Simulator__QueueDelay"] = "00:00:00.100";
        start.Environment["Simulator__MinimumPreparationTime"] = "00:00:00.100";
        start.Environment["Simulator__StoragePath"] = Path.Combine(directory, "files");
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("The simulator did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"# simulator: {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForAsync(Uri address, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(address, cancellationToken);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    private static async Task<Guid> CompletedExportAsync(IServiceProvider services, ExportUser user, int minutes, CancellationToken cancellationToken)
    {
        using var scope = services.CreateScope();
        var exports = new ExportOperations(scope.ServiceProvider);
        var outcome = await exports.SubmitAsync(user, new TimeRange(From, From.AddMinutes(minutes)), FileFormat.Csv, cancellationToken);
        var id = outcome is SubmitOutcome.Accepted accepted ? accepted.Export.Id : throw new InvalidOperationException($"Submission refused: {outcome}");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var details = await exports.GetAsync(user, id, cancellationToken);
            if (details?.Summary.Status == ExportStatus.Completed)
            {
                return id;
            }

            if (deadline.Elapsed > TimeSpan.FromMinutes(5) || details?.Summary.Status is ExportStatus.Failed or ExportStatus.TimedOut)
            {
                throw new InvalidOperationException($"Export {id} is {details?.Summary.Status} after {deadline.Elapsed}.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Downloads <paramref name="url"/> that many times at once, each body read to its end and dropped.</summary>
    private static async Task<(long Bytes, double Seconds)> DownloadAsync(HttpClient client, Uri url, string? cookie, int count, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        // Started 100 ms apart: the portal notes each download in the export's timeline under the row's version, and
        // downloads of one export that start at the same instant conflict there (see docs/benchmarks.md#proxy).
        var sizes = await Task.WhenAll(Enumerable.Range(0, count).Select(async n =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100 * n), cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (cookie is not null)
            {
                request.Headers.Add("Cookie", cookie);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }

            return total;
        }));
        return (sizes.Sum(), watch.Elapsed.TotalSeconds);
    }

    /// <summary>The working set after a full collection.</summary>
    private static long Settle()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    /// <summary>The largest working set seen, sampled every 20 ms until stopped.</summary>
    private sealed class PeakSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task<long> _sampling;

        public PeakSampler() => _sampling = Task.Run(async () =>
        {
            long peak = 0;
            using var process = Process.GetCurrentProcess();
            while (!_stop.IsCancellationRequested)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return peak;
        });

        public long Stop()
        {
            _stop.Cancel();
            return _sampling.GetAwaiter().GetResult();
        }

        public void Dispose() => _stop.Dispose();
    }

    /// <summary>The portal as deployed, in Development (so the development sign-in is on), its settings given.</summary>
    private sealed class ProxyPortal(Dictionary<string, string?> settings) : WebApplicationFactory<PortalDbContext>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }

        protected override IHost CreateHost(IHostBuilder builder)
        {
            var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
            var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
            builder.UseContentRoot(roots[typeof(PortalDbContext).Assembly.FullName!]);
            return base.CreateHost(builder);
        }
    }
}
