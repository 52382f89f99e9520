using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using DeviceApi.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;
using Portal.Hosting;
using Portal.Exports;
using Portal.Notifications;
using Portal.Testing;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Benchmarks;

/// <summary>
/// Many open requests tracked at once: seeds N requests the simulator has accepted (and never completes), then runs
/// the tracker(s) in a process of their own, so that process's CPU time is the tracker's alone (the simulator and the
/// seeding stay in this one). After a warm-up it measures, over a steady window, the tracker process's CPU time as a
/// share of one core, the p95 of the claim statement and the polls per minute. The vendor's budget
/// (<c>Tracking:PollBudgetPerMinute</c>, <c>--budget</c>, default 300 as in production) caps the polls: with 10,000
/// open requests each is polled about every 10,000 / budget minutes. Several instances share one budget and one
/// pause, as they do through Redis. The warm-up (a minute by default) lets tiered compilation finish, so the window
/// shows what a long-running tracker costs.
/// Options: <c>--requests 10000 --provider Sqlite|PostgreSQL [--connection NPGSQL] --instances 1 --budget 300
/// --warmup 60 --seconds 120</c>; PostgreSQL uses <c>PORTAL_TEST_POSTGRES</c> unless given <c>--connection</c>.
/// </summary>
public sealed class InflightBenchmark : IBenchmark
{
    public string Name => "inflight";

    public string Description => "10,000 open requests tracked against the simulator: tracker CPU, claim p95, polls per minute";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var requests = options.Number("requests", 10_000);
        var instances = Math.Max(1, options.Number("instances", 1));
        var budget = options.Number("budget", 300);
        var warmup = options.Number("warmup", 60);
        var seconds = options.Number("seconds", 120);
        var provider = Enum.Parse<DatabaseProvider>(options.Value("provider") ?? "Sqlite", ignoreCase: true);

        await using var simulator = await SimulatorServer.StartAsync(o =>
        {
            o.DeviceCount = 1;
            o.Workers = 4;
            o.QueueDelay = TimeSpan.FromMilliseconds(10);
            o.Faults.NeverCompleteRate = 1;
            o.Retention = TimeSpan.FromDays(7);
        }, cancellationToken: cancellationToken);

        var directory = Directory.CreateTempSubdirectory("portal-benchmark-inflight-").FullName;
        var databaseName = $"portal_inflight_{Guid.NewGuid():N}";
        Dictionary<string, string?> database;
        if (provider == DatabaseProvider.PostgreSQL)
        {
            if (options.Value("connection") is { } connection)
            {
                Environment.SetEnvironmentVariable(TestDatabases.PostgresVariable, connection);
            }
            database = TestDatabases.PostgreSqlSettings(databaseName);
        }
        else
        {
            database = new() { ["Database:Provider"] = "Sqlite", ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}" };
        }

        try
        {
            var watch = Stopwatch.StartNew();
            var uuids = await SubmitToSimulatorAsync(simulator, requests, cancellationToken);
            await SeedAsync(database, uuids, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# inflight: {requests} open requests on {provider}, seeded in {watch.Elapsed.TotalSeconds:F1} s; {instances} tracker instance(s) sharing a budget of {budget}/min, warm-up {warmup} s, window {seconds} s"));

            var childArgs = new List<string>
            {
                InflightTrackerHost.HostName, "--instances", $"{instances}", "--budget", $"{budget}", "--warmup", $"{warmup}", "--seconds", $"{seconds}",
                "--upstream", simulator.BaseAddress.ToString(), "--client-id", simulator.Options.ClientId, "--client-secret", simulator.Options.ClientSecret,
                "--provider", database["Database:Provider"]!, "--connection", database["ConnectionStrings:Portal"]!,
            };
            var start = new ProcessStartInfo(Environment.ProcessPath!, childArgs) { RedirectStandardOutput = true, UseShellExecute = false };
            using var child = Process.Start(start)!;
            string? result = null;
            while (await child.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("inflight:", StringComparison.Ordinal))
                {
                    result = line;
                }
                else
                {
                    Console.WriteLine(line);
                }
            }
            await child.WaitForExitAsync(cancellationToken);
            if (child.ExitCode != 0 || result is null)
            {
                Console.Error.WriteLine($"The tracker process ended with {child.ExitCode}.");
                return 1;
            }
            Console.WriteLine($"inflight: provider={provider} instances={instances} requests={requests} {result["inflight:".Length..].Trim()}");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (provider == DatabaseProvider.PostgreSQL)
            {
                TestDatabases.DropPostgreSqlDatabase(databaseName);
            }
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Accepted jobs upstream, posted straight to the simulator (the portal's budget is for the tracker).</summary>
    private static async Task<List<string>> SubmitToSimulatorAsync(SimulatorServer simulator, int count, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = simulator.BaseAddress };
        using var tokenForm = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = simulator.Options.ClientId, ["client_secret"] = simulator.Options.ClientSecret,
        });
        using var tokenResponse = await http.PostAsync(simulator.TokenUrl, tokenForm, cancellationToken);
        tokenResponse.EnsureSuccessStatusCode();
        var token = (await tokenResponse.Content.ReadFromJsonAsync<Dictionary<string, object>>(cancellationToken))!["access_token"].ToString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var to = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-1), TimeSpan.Zero);
        var uuids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (_, ct) =>
        {
            using var response = await http.PostAsJsonAsync("v3/devices/status",
                new { timerange = new { from = to.AddDays(-1), to }, fileformat = "CSV" }, ct);
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<Dictionary<string, object>>(ct);
            uuids.Add(body!["request_uuid"].ToString()!);
        });
        return [.. uuids];
    }

    /// <summary>Open rows as the tracker leaves them after the POST: submitted, first polls spread over a minute.</summary>
    private static async Task SeedAsync(Dictionary<string, string?> database, List<string> uuids, CancellationToken cancellationToken)
    {
        using var host = InflightTrackerHost.DataHost(database);
        var factory = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        var random = new Random(20261130);
        var now = DateTimeOffset.UtcNow;
        var to = new DateTimeOffset(now.UtcDateTime.Date.AddDays(-1), TimeSpan.Zero);
        foreach (var chunk in uuids.Chunk(1_000))
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var uuid in chunk)
            {
                var created = now - TimeSpan.FromSeconds(random.Next(10, 600));
                var user = random.Next(1_000);
                db.ExportRequests.Add(new ExportRequest
                {
                    Id = Guid.CreateVersion7(created),
                    OwnerId = $"user-{user}",
                    OwnerName = $"Inflight User {user}",
                    RangeFrom = to.AddDays(-1),
                    RangeTo = to,
                    Format = FileFormat.Csv,
                    Status = ExportStatus.Submitted,
                    RequestUuid = uuid,
                    UpstreamStatus = "Submitted",
                    CreatedAt = created,
                    CreatedDay = DateOnly.FromDateTime(created.UtcDateTime),
                    UpdatedAt = created,
                    SubmittedAt = created,
                    SubmitAttempts = 1,
                    NextPollAt = now + TimeSpan.FromMilliseconds(random.Next(60_000)),
                    Version = 1,
                });
            }
            await db.SaveChangesAsync(cancellationToken);
        }
    }
}

/// <summary>
/// The tracker side of <see cref="InflightBenchmark"/>, started by it in a process of its own: N engine hosts (each its
/// own service provider, tracker and budget) on one database, their claim statements timed by a command interceptor.
/// </summary>
public sealed class InflightTrackerHost : IBenchmark
{
    public const string HostName = "inflight-tracker";

    public string Name => HostName;

    public string Description => "(started by inflight) the tracker process it measures";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var instances = options.Number("instances", 1);
        var claims = new ClaimTimer();
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = options.Value("provider"),
            ["ConnectionStrings:Portal"] = options.Value("connection"),
            ["Upstream:BaseUrl"] = options.Value("upstream"),
            ["Upstream:ClientId"] = options.Value("client-id"),
            ["Upstream:ClientSecret"] = options.Value("client-secret"),
            ["Tracking:PollBudgetPerMinute"] = options.Value("budget"),
        };
        var budget = new PollBudget(Options.Create(new TrackerOptions { PollBudgetPerMinute = options.Number("budget", 300) }));
        var pause = new InMemoryUpstreamPause();
        var hosts = new List<IHost>();
        for (var i = 0; i < instances; i++)
        {
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddMetrics();
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<AuditLog>();
            builder.AddExportEngine();
            builder.Services.AddSingleton<IUpstreamBudget>(budget);
            builder.Services.AddSingleton<IUpstreamPause>(pause);
            builder.Services.ConfigureDbContext<PortalDbContext>(o => o.AddInterceptors(claims));
            builder.Services.ConfigureDbContext<PostgreSqlPortalDbContext>(o => o.AddInterceptors(claims));
            hosts.Add(builder.Build());
        }
        await Task.WhenAll(hosts.Select(h => h.StartAsync(cancellationToken)));
        var factory = hosts[0].Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        await Task.Delay(TimeSpan.FromSeconds(options.Number("warmup", 60)), cancellationToken);
        claims.Reset();
        var polls = await PollsAsync(factory, cancellationToken);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.Number("seconds", 120)), cancellationToken);
        var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        var elapsed = wall.Elapsed;
        var polled = await PollsAsync(factory, cancellationToken) - polls;
        var times = claims.Snapshot();

        foreach (var host in hosts)
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# tracker process: cpu {cpuUsed.TotalSeconds:F2} s over {elapsed.TotalSeconds:F1} s, {times.Length} claims (p50 {Percentile(times, 0.5):F2} ms, max {(times.Length > 0 ? times[^1] : 0):F2} ms), {polled} polls"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"inflight: tracker_cpu_pct_of_core={100 * cpuUsed.TotalSeconds / elapsed.TotalSeconds:F2} claim_p95_ms={Percentile(times, 0.95):F2} polls_per_min={polled / elapsed.TotalMinutes:F0}"));
        return 0;
    }

    internal static IHost DataHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPortalData();
        return builder.Build();
    }

    private static async Task<long> PollsAsync(IDbContextFactory<PortalDbContext> factory, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.ExportRequests.SumAsync(e => (long)e.Polls, cancellationToken);
    }

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    /// <summary>Times the claim: the one statement that raises the fencing token, on either provider.</summary>
    private sealed class ClaimTimer : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<double> times = new();

        public void Reset() => times.Clear();

        public double[] Snapshot()
        {
            var sorted = times.ToArray();
            Array.Sort(sorted);
            return sorted;
        }

        public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
        {
            Record(command, eventData);
            return base.ReaderExecutedAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            Record(command, eventData);
            return base.NonQueryExecutedAsync(command, eventData, result, cancellationToken);
        }

        private void Record(DbCommand command, CommandExecutedEventData eventData)
        {
            if (command.CommandText.Contains("\"LeaseToken\" + 1", StringComparison.Ordinal))
            {
                times.Enqueue(eventData.Duration.TotalMilliseconds);
            }
        }
    }
}
