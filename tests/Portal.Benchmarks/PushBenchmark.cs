using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Security;
using Portal.Tracking;

namespace Portal.Benchmarks;

/// <summary>
/// From a change saved as the tracker saves one (request row and event row in one transaction, then the outbox woken)
/// until it is received by in-process page subscribers and by SignalR clients of <see cref="ExportsHub"/> over
/// WebSockets, on Kestrel. Of each kind one receiver is stuck for the whole run: it must delay nobody. Latencies of
/// every fast receiver for every change are pooled.
/// Options: <c>--subscribers 200 --changes 300 --gap-ms 20 --warm-up 30</c>.
/// </summary>
public sealed class PushBenchmark : IBenchmark
{
    private const string UserName = "Push User";

    public string Name => "push";

    public string Description => "a saved change until an open page and a hub client hear it, 200 of each with one slow";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var subscribers = options.Number("subscribers", 200);
        var changes = options.Number("changes", 300);
        var gap = TimeSpan.FromMilliseconds(options.Number("gap-ms", 20));
        var warmUp = options.Number("warm-up", 30);

        var directory = Directory.CreateTempSubdirectory("portal-benchmark-push-").FullName;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connections = new List<HubConnection>();
        try
        {
            await using var portal = new HistoryBenchmark.HistoryPortal(Path.Combine(directory, "portal.db"));
            portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            portal.StartServer();
            var address = new Uri(portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

            var cookies = new CookieContainer();
            using (var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = address })
            {
                await HistoryBenchmark.SignInAsync(client, UserName, admin: false, cancellationToken);
            }
            var writer = new ChangeWriter(portal.Services);
            var exportId = await writer.CreateRequestAsync(DevelopmentUserStore.IdFor(UserName), cancellationToken);

            // Receipt times per receiver and change; index = the change's version less the request's first.
            var total = warmUp + changes;
            var saved = new long[total];
            var pages = Receivers(subscribers - 1, total);
            var hubs = Receivers(subscribers - 1, total);

            var feed = portal.Services.GetRequiredService<IExportChangeFeed>();
            var subscriptions = new List<IDisposable> { feed.Subscribe(async _ => await release.Task) };
            foreach (var received in pages)
            {
                subscriptions.Add(feed.Subscribe(change =>
                {
                    Record(received, change);
                    return Task.CompletedTask;
                }));
            }

            var slow = Connect(address, cookies);
            slow.On<ExportChanged>(ExportsHub.ExportChangedMethod, async _ => await release.Task);
            connections.Add(slow);
            foreach (var received in hubs)
            {
                var connection = Connect(address, cookies);
                connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, change => Record(received, change));
                connections.Add(connection);
            }
            foreach (var batch in connections.Chunk(20))
            {
                await Task.WhenAll(batch.Select(c => c.StartAsync(cancellationToken)));
            }

            for (var i = 0; i < total; i++)
            {
                saved[i] = Stopwatch.GetTimestamp();
                await writer.SaveChangeAsync(exportId, $"Change {i}.", cancellationToken);
                await Task.Delay(gap, cancellationToken);
            }
            await WaitForAllAsync([.. pages, .. hubs], TimeSpan.FromSeconds(120), cancellationToken);

            var inproc = Latencies(pages, saved, warmUp);
            var hub = Latencies(hubs, saved, warmUp);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# push: {changes} changes {gap.TotalMilliseconds:0} ms apart after {warmUp} to warm up; {subscribers - 1} fast and 1 stuck page subscriber, the same of hub clients (WebSockets)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   inproc max {inproc[^1]:F2} ms, hub max {hub[^1]:F2} ms"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"push: subscribers={subscribers} inproc_p50_ms={Percentile(inproc, 0.5):F2} inproc_p95_ms={Percentile(inproc, 0.95):F2} hub_p50_ms={Percentile(hub, 0.5):F2} hub_p95_ms={Percentile(hub, 0.95):F2}"));

            release.TrySetResult();
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
            return 0;
        }
        finally
        {
            release.TrySetResult();
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
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

    private static HubConnection Connect(Uri address, CookieContainer cookies) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(address, ExportsHub.Path), o => o.Cookies = cookies)
            .Build();

    /// <summary>When each change arrived (0: not yet) and how many have.</summary>
    private sealed record Receiver(long[] At, int[] Count);

    private static Receiver[] Receivers(int count, int changes) =>
        [.. Enumerable.Range(0, count).Select(_ => new Receiver(new long[changes], new int[1]))];

    private static void Record(Receiver receiver, ExportChanged change)
    {
        var now = Stopwatch.GetTimestamp();
        var index = change.Version - ChangeWriter.FirstVersion;
        if (index >= 0 && index < receiver.At.Length && receiver.At[index] == 0)
        {
            receiver.At[index] = now;
            Interlocked.Increment(ref receiver.Count[0]);
        }
    }

    private static async Task WaitForAllAsync(Receiver[] receivers, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (receivers.Any(r => Volatile.Read(ref r.Count[0]) < r.At.Length))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                var missing = receivers.Sum(r => r.At.Length - Volatile.Read(ref r.Count[0]));
                throw new TimeoutException($"{missing} receipts missing after {timeout}.");
            }
            await Task.Delay(20, cancellationToken);
        }
    }

    private static double[] Latencies(Receiver[] receivers, long[] saved, int skip)
    {
        var latencies = receivers
            .SelectMany(r => r.At.Select((at, i) => (at, i)).Where(x => x.i >= skip).Select(x => Stopwatch.GetElapsedTime(saved[x.i], x.at).TotalMilliseconds))
            .ToArray();
        Array.Sort(latencies);
        return latencies;
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    /// <summary>Writes as the tracker does: the request row and its event row in one transaction, then wakes the outbox.</summary>
    private sealed class ChangeWriter(IServiceProvider services)
    {
        /// <summary>The version of the request after the first measured change.</summary>
        public const int FirstVersion = 1;

        private readonly IDbContextFactory<PortalDbContext> dbFactory = services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        private readonly IExportOutbox outbox = services.GetRequiredService<IExportOutbox>();

        public async Task<Guid> CreateRequestAsync(string ownerId, CancellationToken cancellationToken)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = DateTimeOffset.UtcNow;
            var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-2);
            var request = new ExportRequest
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = ownerId,
                OwnerName = UserName,
                RangeFrom = day,
                RangeTo = day.AddDays(1),
                Format = FileFormat.Csv,
                Status = ExportStatus.InProgress,
                RequestUuid = Guid.NewGuid().ToString(),
                CreatedAt = now,
                UpdatedAt = now,
                SubmittedAt = now,
            };
            db.ExportRequests.Add(request);
            await db.SaveChangesAsync(cancellationToken);
            return request.Id;
        }

        public async Task SaveChangeAsync(Guid id, string detail, CancellationToken cancellationToken)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await db.ExportRequests.SingleAsync(e => e.Id == id, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            request.Version++;
            request.UpdatedAt = now;
            db.ExportEvents.Add(new ExportEvent
            {
                ExportId = id, OwnerId = request.OwnerId, Version = request.Version, At = now,
                From = request.Status, To = request.Status, Actor = ExportProgress.TrackerActor, Detail = detail,
            });
            await db.SaveChangesAsync(cancellationToken);
            outbox.Wake();
        }
    }
}
