using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Api;
using Portal.Data;
using Portal.Exports;

namespace Portal.Benchmarks;

/// <summary>
/// Does a burst of scripts slow the pages? Over the <c>history</c> benchmark's database (1,000 users, 100 requests
/// each), measures the whole prerendered first page of "My exports" on Kestrel while idle, then while
/// <c>--clients 10</c> scripts create <c>--exports 1000</c> exports through <c>POST /api/v1/exports</c> (each with its
/// own Idempotency-Key, a personal access token, the per-user limit raised for the run) and the tracker sends them to
/// the embedded simulator. Options: <c>--users 1000 --per-user 100 --exports 1000 --clients 10 --idle-iterations 100</c>.
/// </summary>
public sealed class ApiLoadBenchmark : IBenchmark
{
    private const int WarmUp = 50;

    public string Name => "api-load";

    public string Description => "first page of My exports while 10 API clients create 1,000 exports: page latency idle and under load";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var users = options.Number("users", 1_000);
        var perUser = options.Number("per-user", 100);
        var exports = options.Number("exports", 1_000);
        var clients = options.Number("clients", 10);
        var idleIterations = options.Number("idle-iterations", 100);

        var directory = Directory.CreateTempSubdirectory("portal-benchmark-api-load-").FullName;
        try
        {
            await using var portal = new LoadPortal(Path.Combine(directory, "portal.db"), exports);
            portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            portal.StartServer();
            var seeded = await HistorySeed.FillAsync(portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>(), users, perUser, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# api-load: {seeded.Requests} requests of {users} users in the history"));

            var measuredUser = HistorySeed.OwnerName(0);
            using var pageClient = portal.CreateClient();
            await HistoryBenchmark.SignInAsync(pageClient, measuredUser, admin: false, cancellationToken);
            for (var i = 0; i < WarmUp; i++)
            {
                await GetPageAsync(pageClient, cancellationToken);
            }
            var idle = new List<double>();
            for (var i = 0; i < idleIterations; i++)
            {
                idle.Add(await GetPageAsync(pageClient, cancellationToken));
            }

            var script = new ExportUser("api-load-script", "API Load Script", null, IsAdmin: false);
            var creation = await portal.Services.GetRequiredService<AccessTokens>().CreateAsync(script, "api-load", DateTimeOffset.UtcNow.AddDays(1), cancellationToken);
            using var apiClient = portal.CreateClient();
            apiClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", creation.Secret);

            var creates = new ConcurrentBag<double>();
            var underLoad = new List<double>();
            var next = -1;
            var watch = Stopwatch.StartNew();
            var load = Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                int index;
                while ((index = Interlocked.Increment(ref next)) < exports)
                {
                    creates.Add(await CreateAsync(apiClient, index, cancellationToken));
                }
            }, cancellationToken)));
            while (!load.IsCompleted)
            {
                underLoad.Add(await GetPageAsync(pageClient, cancellationToken));
            }
            await load;
            var seconds = watch.Elapsed.TotalSeconds;

            idle.Sort();
            underLoad.Sort();
            var createTimes = creates.Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   page /exports idle       p50 {Percentile(idle, 0.5),7:F2} ms  p95 {Percentile(idle, 0.95),7:F2} ms  ({idle.Count} loads)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   page /exports under load p50 {Percentile(underLoad, 0.5),7:F2} ms  p95 {Percentile(underLoad, 0.95),7:F2} ms  ({underLoad.Count} loads)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   POST /api/v1/exports     p50 {Percentile(createTimes, 0.5),7:F2} ms  p95 {Percentile(createTimes, 0.95),7:F2} ms  ({exports / seconds:F0}/s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"api-load: exports={exports} clients={clients} seconds={seconds:F1} create_p95_ms={Percentile(createTimes, 0.95):F2} " +
                $"page_idle_p50_ms={Percentile(idle, 0.5):F2} page_idle_p95_ms={Percentile(idle, 0.95):F2} " +
                $"page_load_p50_ms={Percentile(underLoad, 0.5):F2} page_load_p95_ms={Percentile(underLoad, 0.95):F2}"));
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<double> GetPageAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync("/exports", HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>One hour of a distinct day per export, so each is a new request and a small file upstream.</summary>
    private static async Task<double> CreateAsync(HttpClient client, int index, CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.UtcNow.Date.AddDays(-1 - (index % 365)).AddHours(index / 365);
        var body = JsonSerializer.Serialize(new
        {
            timerange = new { from = from.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), to = from.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) },
            fileformat = "CSV",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/exports") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", $"api-load-{index}");
        var start = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Export {index} was answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return elapsed;
    }

    private static double Percentile(List<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    /// <summary>
    /// The portal in Development over the benchmark's database, its tracker on and sending to the embedded simulator
    /// (a few devices, so preparing files costs little), the per-user limit raised for the script.
    /// </summary>
    private sealed class LoadPortal(string databasePath, int exports) : WebApplicationFactory<PortalDbContext>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={databasePath}");
            builder.UseSetting("Exports:MaxSubmissionsPerMinute", exports.ToString(CultureInfo.InvariantCulture));
            builder.UseSetting("Exports:DailyAllowancePerUser", "1000000");
            builder.UseSetting("RateLimits:ApiPerWindow", "1000000");
            builder.UseSetting("RateLimits:FilesPerWindow", "1000000");
            builder.UseSetting("Simulator:DeviceCount", "3");
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
