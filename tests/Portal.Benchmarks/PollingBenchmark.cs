using System.Collections.Concurrent;
using System.Globalization;
using DeviceApi.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Data;
using Portal.Security;
using Portal.Hosting;
using Portal.Exports;
using Portal.Notifications;
using Portal.Tracking;
using Portal.Testing;
using Portal.Upstream;

namespace Portal.Benchmarks;

/// <summary>
/// A mixed workload (formats and range sizes) of export requests against the simulator, followed at once by the
/// portal's tracker and by a fixed 5-second poller. Reports upstream GETs per completed request and the latency
/// from the upstream's completion to the poller knowing it (p50, p95) for both, side by side.
/// The simulator caps its workers, so the workload is spread over shards (a simulator and a portal engine with its
/// own database each) to keep the upstream's queue out of the measurement; the shards share what the portal learns
/// about preparation times, as one portal would.
/// With <c>--fail-rate 0.2</c> that share of status GETs (the portal's and the fixed poller's alike) is answered 503
/// without reaching the simulator, with a <c>Retry-After</c> of <c>--retry-after</c> seconds (0: none). GETs are
/// counted as the vendor would see them: every attempt, failed ones included.
/// With <c>--warm-up N</c>, N requests of the same mix are sent first, in the same stream, and not counted (nor
/// followed by the fixed poller): the portal then has the history of preparation times a running portal has (it loads
/// them from its database at start), instead of starting from none.
/// Options: <c>--requests 1000 --shards 5 --rate 8 --fixed-seconds 5 --fail-rate 0 --retry-after 0 --warm-up 0</c>.
/// </summary>
public sealed class PollingBenchmark : IBenchmark
{
    private static readonly (int Days, int Weight)[] Spans = [(1, 3), (3, 3), (7, 3), (14, 2), (31, 1)];

    public string Name => "polling";

    public string Description => "upstream GETs per request and completion latency: the portal's policy vs a fixed 5 s interval";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var requests = options.Number("requests", 1_000);
        var shardCount = Math.Max(1, options.Number("shards", 5));
        var rate = Math.Max(1, options.Number("rate", 8));
        var fixedInterval = TimeSpan.FromSeconds(options.Number("fixed-seconds", 5));
        var failRate = options.Value("fail-rate") is { } rateText ? double.Parse(rateText, CultureInfo.InvariantCulture) : 0;
        var faults = new StatusFaults(failRate, options.Number("retry-after", 0));
        var warmUp = Math.Max(0, options.Number("warm-up", 0));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"# polling: {requests} requests over {shardCount} shards at {rate}/s; fixed interval {fixedInterval.TotalSeconds:0} s; {failRate:P0} of status GETs answered 503; {warmUp} requests first not counted"));
        var shards = new List<Shard>();
        try
        {
            shards.Add(await Shard.StartAsync(estimator: null, faults, cancellationToken));
            var estimator = shards[0].Estimator;
            await estimator.LoadAsync(cancellationToken);
            for (var i = 1; i < shardCount; i++)
            {
                shards.Add(await Shard.StartAsync(estimator, faults, cancellationToken));
            }

            var random = new Random(20261129);
            var fixedResults = new ConcurrentBag<FixedResult>();
            var fixedPollers = new List<Task>();
            var today = DateTimeOffset.UtcNow.Date;
            var started = DateTimeOffset.UtcNow;
            for (var n = 0; n < warmUp + requests; n++)
            {
                var due = started + TimeSpan.FromSeconds((double)n / rate);
                if (due > DateTimeOffset.UtcNow)
                {
                    await Task.Delay(due - DateTimeOffset.UtcNow, cancellationToken);
                }

                var shard = shards[n % shards.Count];
                var span = Pick(random);
                var to = new DateTimeOffset(today.AddDays(-1 - random.Next(0, 300)), TimeSpan.Zero);
                var format = FileFormats.All[random.Next(FileFormats.All.Count)];
                var user = new ExportUser($"user-{n % 40}", $"User {n % 40}", null, IsAdmin: false);
                var (uuid, submittedAt) = await shard.SubmitAsync(user, new TimeRange(to.AddDays(-span), to), format, cancellationToken);
                faults.Submitted(uuid);
                if (n >= warmUp)
                {
                    fixedPollers.Add(Task.Run(() => FollowAtFixedIntervalAsync(shard, uuid, submittedAt, span, fixedInterval, fixedResults, cancellationToken), cancellationToken));
                }
                if ((n + 1) % 100 == 0)
                {
                    Console.WriteLine($"#   submitted {n + 1}");
                }
            }

            await Task.WhenAll(fixedPollers);
            var portalResults = new List<PortalResult>();
            foreach (var shard in shards)
            {
                portalResults.AddRange((await shard.WaitForCompletionAsync(faults, cancellationToken)).Where(r => r.Order >= warmUp));
            }

            var portalGets = portalResults.Average(r => r.Gets);
            var fixedGets = fixedResults.Average(r => r.Gets);
            var portalLatency = portalResults.Select(r => r.LatencySeconds).Order().ToArray();
            var fixedLatency = fixedResults.Select(r => r.LatencySeconds).Order().ToArray();
            Console.WriteLine($"# completed: portal {portalResults.Count}, fixed {fixedResults.Count}; wall {(DateTimeOffset.UtcNow - started).TotalSeconds:0} s");
            Console.WriteLine($"# preparation (s): p50 {Percentile([.. fixedResults.Select(r => r.PreparationSeconds).Order()], 0.5):0.0}, max {fixedResults.Max(r => r.PreparationSeconds):0.0}");
            foreach (var group in portalResults.GroupBy(r => r.Days).OrderBy(g => g.Key))
            {
                var fixedOfSpan = fixedResults.Where(r => r.Days == group.Key).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#   {group.Key,2} days: {group.Count(),4} requests, portal {group.Average(r => r.Gets):0.00} gets (p95 {Percentile([.. group.Select(r => r.LatencySeconds).Order()], 0.95):0.00} s), fixed {(fixedOfSpan.Count > 0 ? fixedOfSpan.Average(r => r.Gets) : double.NaN):0.00} gets"));
            }
            // Where the portal's GETs go: polls before the upstream completed (wasted), the one that saw it, failed ones
            // after it (each a retry or a backoff), and the same for the requests submitted once history had built up.
            foreach (var (label, part) in new[] { ("all", portalResults), ("first 100", portalResults.Where(r => r.Order < warmUp + 100).ToList()), ("after 100", portalResults.Where(r => r.Order >= warmUp + 100).ToList()) })
            {
                if (part.Count == 0)
                {
                    continue;
                }
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"#   portal, {label}: {part.Count} requests; GETs before completion {part.Average(r => r.Before):0.00} (failed {part.Average(r => r.FailedBefore):0.00}), after {part.Average(r => r.Gets - r.Before):0.00} (failed {part.Average(r => r.FailedAfter):0.00}); latency p95 {Percentile([.. part.Select(r => r.LatencySeconds).Order()], 0.95):0.00} s; more than one GET after completion {part.Count(r => r.Gets - r.Before > 1)}, seen later than 1.5 s {part.Count(r => r.LatencySeconds > 1.5)}"));
            }
            Console.WriteLine($"#                 gets/request  latency p50 (s)  latency p95 (s)");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   portal        {portalGets,12:0.00}  {Percentile(portalLatency, 0.5),15:0.00}  {Percentile(portalLatency, 0.95),15:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   fixed {fixedInterval.TotalSeconds:0} s    {fixedGets,12:0.00}  {Percentile(fixedLatency, 0.5),15:0.00}  {Percentile(fixedLatency, 0.95),15:0.00}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"polling: portal_gets_per_request={portalGets:0.00} fixed_gets_per_request={fixedGets:0.00} ratio={portalGets / fixedGets:0.000} portal_p95_s={Percentile(portalLatency, 0.95):0.00} fixed_p95_s={Percentile(fixedLatency, 0.95):0.00} fail_rate={failRate:0.00}"));
            return 0;
        }
        finally
        {
            foreach (var shard in shards)
            {
                await shard.DisposeAsync();
            }
        }
    }

    private static int Pick(Random random)
    {
        var total = Spans.Sum(s => s.Weight);
        var pick = random.Next(total);
        foreach (var (days, weight) in Spans)
        {
            if ((pick -= weight) < 0)
            {
                return days;
            }
        }
        return Spans[^1].Days;
    }

    private static async Task FollowAtFixedIntervalAsync(
        Shard shard, string uuid, DateTimeOffset submittedAt, int days, TimeSpan interval, ConcurrentBag<FixedResult> results, CancellationToken cancellationToken)
    {
        using var poller = StatusFaults.FixedPoller();
        int gets;
        var next = submittedAt + interval;
        while (true)
        {
            var wait = next - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
            next += interval;
            if (await shard.StatusAsync(uuid, cancellationToken) is StatusResult.Found { Status: { State: UpstreamState.Completed } status })
            {
                var seen = DateTimeOffset.UtcNow;
                gets = shard.Faults.Attempts(uuid, fixedPoller: true);
                results.Add(new FixedResult(gets, (seen - status.CompletedAt!.Value).TotalSeconds, (status.CompletedAt!.Value - status.SubmittedAt!.Value).TotalSeconds, days));
                return;
            }
        }
    }

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    private sealed record FixedResult(int Gets, double LatencySeconds, double PreparationSeconds, int Days);

    /// <summary>One request the portal followed: its GETs, those sent before the upstream completed, the failed ones.</summary>
    private sealed record PortalResult(int Gets, int Before, int FailedBefore, int FailedAfter, double LatencySeconds, int Days, int Order);

    /// <summary>A simulator on a loopback port and the portal's export engine (tracker running) over a database of its own.</summary>
    private sealed class Shard : IAsyncDisposable
    {
        private readonly SimulatorServer simulator;
        private readonly IHost portal;
        private readonly string directory;

        private Shard(SimulatorServer simulator, IHost portal, string directory, StatusFaults faults)
        {
            this.simulator = simulator;
            this.portal = portal;
            this.directory = directory;
            Faults = faults;
        }

        public StatusFaults Faults { get; }

        public PreparationEstimator Estimator => portal.Services.GetRequiredService<PreparationEstimator>();

        public static async Task<Shard> StartAsync(PreparationEstimator? estimator, StatusFaults faults, CancellationToken cancellationToken)
        {
            // One device: a day is 1,440 rows; paced at 500 rows/s, 31 days take about 90 s to prepare.
            var simulator = await SimulatorServer.StartAsync(options =>
            {
                options.DeviceCount = 1;
                options.Workers = 64;
                options.QueueDelay = TimeSpan.FromSeconds(2);
                options.MinimumPreparationTime = TimeSpan.FromSeconds(5);
                options.RowsPerSecond = 500;
            }, cancellationToken: cancellationToken);

            var directory = Path.Combine(Path.GetTempPath(), "portal-benchmark", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(directory, "portal.db")}",
                ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
                ["Upstream:ClientId"] = simulator.Options.ClientId,
                ["Upstream:ClientSecret"] = simulator.Options.ClientSecret,
                ["Tracking:PollBudgetPerMinute"] = "100000",
                ["Tracking:MaxParallelCalls"] = "16",
                ["Exports:MaxSubmissionsPerMinute"] = "10000",
                ["Exports:DailyAllowancePerUser"] = "100000",
                ["Exports:DuplicateWindow"] = "00:00:00",
            });
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddMetrics();
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddSingleton<AuditLog>();
            builder.AddExportEngine();
            builder.Services.AddHttpClient<DeviceStatusClient>().AddHttpMessageHandler(() => new FailingStatusHandler(faults));
            if (estimator is not null)
            {
                builder.Services.AddSingleton(estimator);
            }
            var portal = builder.Build();
            await portal.StartAsync(cancellationToken);
            return new Shard(simulator, portal, directory, faults);
        }

        public async Task<(string Uuid, DateTimeOffset SubmittedAt)> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken)
        {
            using var scope = portal.Services.CreateScope();
            var exports = new ExportOperations(scope.ServiceProvider);
            var outcome = await exports.SubmitAsync(user, range, format, cancellationToken);
            var id = outcome is SubmitOutcome.Accepted accepted ? accepted.Export.Id : throw new InvalidOperationException($"Submission refused: {outcome}");
            // The tracker sends the POST: wait until it has stored the upstream's id.
            while (true)
            {
                var details = await exports.GetAsync(user, id, cancellationToken);
                if (details?.RequestUuid is { } uuid)
                {
                    return (uuid, details.Summary.CreatedAt);
                }
                if (details is null || details.Summary.Status != ExportStatus.Queued)
                {
                    throw new InvalidOperationException($"The upstream did not accept {id}: {details?.Summary.LastError}");
                }
                await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken);
            }
        }

        public async Task<StatusResult> StatusAsync(string uuid, CancellationToken cancellationToken)
        {
            using var scope = portal.Services.CreateScope();
            return await scope.ServiceProvider.GetRequiredService<DeviceStatusClient>().GetStatusAsync(uuid, cancellationToken);
        }

        public async Task<List<PortalResult>> WaitForCompletionAsync(StatusFaults faults, CancellationToken cancellationToken)
        {
            var factory = portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
            var deadline = DateTimeOffset.UtcNow.AddMinutes(10);
            while (true)
            {
                await using var db = await factory.CreateDbContextAsync(cancellationToken);
                var open = await db.ExportRequests.CountAsync(e => e.Status == ExportStatus.Queued || e.Status == ExportStatus.Submitted || e.Status == ExportStatus.InProgress, cancellationToken);
                if (open == 0 || DateTimeOffset.UtcNow > deadline)
                {
                    var done = await db.ExportRequests
                        .Where(e => e.Status == ExportStatus.Completed)
                        .Select(e => new { e.RequestUuid, e.CompletedAt, e.CompletionSeenAt, e.RangeFrom, e.RangeTo })
                        .ToListAsync(cancellationToken);
                    return [.. done.Select(e =>
                    {
                        var attempts = faults.Log(e.RequestUuid!);
                        var before = attempts.Where(a => a.At < e.CompletedAt!.Value).ToList();
                        return new PortalResult(
                            attempts.Count,
                            before.Count,
                            before.Count(a => a.Failed),
                            attempts.Count(a => a.At >= e.CompletedAt!.Value && a.Failed),
                            (e.CompletionSeenAt!.Value - e.CompletedAt!.Value).TotalSeconds,
                            (int)(e.RangeTo - e.RangeFrom).TotalDays,
                            faults.Order(e.RequestUuid!));
                    })];
                }
                await Task.Delay(500, cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await portal.StopAsync();
            portal.Dispose();
            await simulator.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Status GETs by request and caller (the portal's tracker or the fixed poller), and the share answered 503.</summary>
    private sealed class StatusFaults(double failRate, int retryAfterSeconds)
    {
        private static readonly AsyncLocal<bool> InFixedPoller = new();
        private readonly ConcurrentDictionary<(string Uuid, bool Fixed), int> _attempts = new();

        public int RetryAfterSeconds => retryAfterSeconds;

        public static IDisposable FixedPoller()
        {
            InFixedPoller.Value = true;
            return new Reset();
        }

        public bool Fails() => failRate > 0 && Random.Shared.NextDouble() < failRate;

        private readonly ConcurrentDictionary<string, List<(DateTimeOffset At, bool Failed)>> _portalLog = new();
        private readonly ConcurrentDictionary<string, int> _order = new();

        public void Submitted(string uuid) => _order.TryAdd(uuid, _order.Count);

        public int Order(string uuid) => _order.GetValueOrDefault(uuid, int.MaxValue);

        public void Attempted(string uuid, bool failed)
        {
            _attempts.AddOrUpdate((uuid, InFixedPoller.Value), 1, (_, n) => n + 1);
            if (!InFixedPoller.Value)
            {
                var log = _portalLog.GetOrAdd(uuid, _ => []);
                lock (log)
                {
                    log.Add((DateTimeOffset.UtcNow, failed));
                }
            }
        }

        public int Attempts(string uuid, bool fixedPoller) => _attempts.GetValueOrDefault((uuid, fixedPoller));

        public List<(DateTimeOffset At, bool Failed)> Log(string uuid)
        {
            var log = _portalLog.GetOrAdd(uuid, _ => []);
            lock (log)
            {
                return [.. log];
            }
        }

        private sealed class Reset : IDisposable
        {
            public void Dispose() => InFixedPoller.Value = false;
        }
    }

    /// <summary>Innermost in the portal's upstream client: counts each status GET attempt and fails some with 503.</summary>
    private sealed class FailingStatusHandler(StatusFaults faults) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get || request.RequestUri?.AbsolutePath.Contains("/status/", StringComparison.Ordinal) != true)
            {
                return base.SendAsync(request, cancellationToken);
            }

            var fails = faults.Fails();
            faults.Attempted(request.RequestUri.Segments[^1], fails);
            if (!fails)
            {
                return base.SendAsync(request, cancellationToken);
            }

            var response = new HttpResponseMessage(System.Net.HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
            if (faults.RetryAfterSeconds > 0)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(faults.RetryAfterSeconds));
            }

            return Task.FromResult(response);
        }
    }
}
