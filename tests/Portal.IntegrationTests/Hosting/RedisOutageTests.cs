using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Hosting;

/// <summary>
/// Two instances on one database and a Redis of the test's own, which it stops and starts again (no persistence:
/// its data is gone). Instance B reaches Redis through a TCP relay the test can cut, so that B's subscription stays
/// down while instance A, already back, publishes: what every instance meets when it reconnects after the others.
/// </summary>
public class RedisOutageTests(ITestOutputHelper output)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ThroughARedisRestartPagesServeSubmissionsWaitAndThePageAndHubClientOnTheOtherInstanceGetWhatWasPublishedMeanwhile()
    {
        await using var redis = await RestartableRedis.StartAsync();
        await using var relay = TcpRelay.Start(redis.Port);
        var prefix = $"test-{Guid.NewGuid():N}";
        Dictionary<string, string?> Settings(string endpoint) => new()
        {
            ["ConnectionStrings:Redis"] = endpoint,
            ["Redis:KeyPrefix"] = prefix,
            ["Tracking:PollBudgetPerMinute"] = "60",
        };
        // Slow preparation: the export stays open upstream for the whole test.
        await using var a = await PortalFactory.StartAsync(o => o.MinimumPreparationTime = TimeSpan.FromMinutes(5), Settings(redis.Endpoint));
        await using var b = await PortalFactory.StartAsync(settings: Settings(relay.Endpoint), simulator: a.Simulator, databasePath: a.DatabasePath, recorder: a.Upstream);
        var user = User("OutageOlga");
        var admin = User("OutageAdmin", admin: true);
        using var adminOnB = b.CreateClient();
        adminOnB.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(admin));
        using var userOnB = b.CreateClient();
        userOnB.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(user));

        var open = Accepted(await a.Exports().SubmitAsync(user, Day(), FileFormat.Csv, Cancellation));
        await a.WaitForAsync(open, row => row.RequestUuid is not null);
        var onPage = new ConcurrentQueue<ExportChanged>();
        using var page = b.Services.GetRequiredService<IExportChangeFeed>().Subscribe(change =>
        {
            onPage.Enqueue(change);
            return Task.CompletedTask;
        });
        var onHub = new ConcurrentQueue<ExportChanged>();
        await using var hub = Connect(b, user, onHub);
        await hub.StartAsync(Cancellation);
        Assert.Equal("Healthy", (await RedisCheckAsync(adminOnB)).Status);

        // Redis goes away (its data with it).
        await redis.StopAsync();
        var degraded = await Eventually.ReturnsAsync(() => RedisCheckAsync(adminOnB), c => c.Status == "Degraded", "B reports Redis degraded", TimeSpan.FromSeconds(10));
        using var pageWhileDown = await userOnB.GetAsync("/exports", Cancellation);
        // A hub client (as a page's circuit) connects now and stays connected: neither needs Redis.
        var onHubWhileDown = new ConcurrentQueue<ExportChanged>();
        await using var hubWhileDown = Connect(b, user, onHubWhileDown);
        await hubWhileDown.StartAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        var waiting = await b.Exports().SubmitAsync(user, Day(5), FileFormat.Json, Cancellation);
        Assert.True(await a.Exports().CancelAsync(user, open, Cancellation));
        var cancelled = await LastEventAsync(a, open);

        // Redis is back for A, not yet for B: A publishes what it wrote, and B's subscription is not there to hear it.
        relay.Cut();
        await redis.StartAgainAsync();
        await Eventually.HoldsAsync(async () => (await EventAsync(a, cancelled.Id)).PublishedAt is not null, "A publishes the cancellation once Redis is back", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromMilliseconds(500), Cancellation);
        var heardWhileCutOff = onPage.Any(c => c.EventId == cancelled.Id) || onHub.Any(c => c.EventId == cancelled.Id);

        // B reconnects: its page and hub client catch up without a reload.
        var back = Stopwatch.StartNew();
        relay.Restore();
        await Eventually.HoldsAsync(
            () => onPage.Any(c => c.EventId == cancelled.Id) && onHub.Any(c => c.EventId == cancelled.Id) && onHubWhileDown.Any(c => c.EventId == cancelled.Id),
            "B's page and hub clients get the change published while B was cut off", TimeSpan.FromSeconds(30));
        var caughtUpAfter = back.Elapsed;
        await Eventually.HoldsAsync(async () => (await RedisCheckAsync(adminOnB)).Status == "Healthy", "B reports Redis healthy again", TimeSpan.FromSeconds(30));
        var healthyAfter = back.Elapsed;

        Assert.Equal(HttpStatusCode.OK, degraded.Code);
        Assert.StartsWith("Redis cannot be reached", degraded.Description, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, pageWhileDown.StatusCode);
        Assert.False(heardWhileCutOff, "B heard the change while cut off: the test did not cut it off");
        Assert.Single(onPage, c => c.EventId == cancelled.Id);
        Assert.Single(onHub, c => c.EventId == cancelled.Id);
        Assert.Equal(HubConnectionState.Connected, hubWhileDown.State);
        foreach (var received in new[] { onPage.Where(c => c.ExportId == open), onHub.Where(c => c.ExportId == open) })
        {
            var versions = received.Select(c => c.Version).ToList();
            Assert.Equal(versions.Order().Distinct(), versions);
        }

        // The submission made while Redis was down is posted once, when the budget allows after the restart.
        var waitingId = Accepted(waiting);
        var posted = await b.WaitForAsync(waitingId, row => row.RequestUuid is not null, TimeSpan.FromSeconds(100));
        var postedAfter = back.Elapsed;
        Assert.Equal(2, a.Upstream.Posts());
        Assert.NotEqual(ExportStatus.Unconfirmed, posted.Status);
        output.WriteLine($"caught up {caughtUpAfter.TotalSeconds:0.0} s, healthy {healthyAfter.TotalSeconds:0.0} s, posted {postedAfter.TotalSeconds:0.0} s after B could reach Redis again");
    }

    private static HubConnection Connect(PortalFactory portal, ExportUser user, ConcurrentQueue<ExportChanged> received)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers[TestAuthentication.Header] = TestAuthentication.For(user);
            })
            .Build();
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, received.Enqueue);
        return connection;
    }

    private static async Task<(HttpStatusCode Code, string? Status, string? Description)> RedisCheckAsync(HttpClient admin)
    {
        using var response = await admin.GetAsync("/health/ready", Cancellation);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var check = body.RootElement.GetProperty("checks").GetProperty("redis");
        return (response.StatusCode, check.GetProperty("status").GetString(),
            check.TryGetProperty("description", out var description) ? description.GetString() : null);
    }

    private static async Task<ExportEvent> LastEventAsync(PortalFactory portal, Guid exportId)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportEvents.AsNoTracking().Where(e => e.ExportId == exportId).OrderByDescending(e => e.Id).FirstAsync(Cancellation);
    }

    private static async Task<ExportEvent> EventAsync(PortalFactory portal, long id)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportEvents.AsNoTracking().SingleAsync(e => e.Id == id, Cancellation);
    }

    /// <summary>A TCP relay to a local port whose connections the test can cut (and refuse) and then let through again: a network partition of one instance.</summary>
    private sealed class TcpRelay : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly int target;
        private readonly CancellationTokenSource stop = new();
        private readonly ConcurrentDictionary<Socket, bool> open = new();
        private volatile bool cut;
        private Task accepting = Task.CompletedTask;

        private TcpRelay(int target) => this.target = target;

        public string Endpoint => $"127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

        public static TcpRelay Start(int target)
        {
            var relay = new TcpRelay(target);
            relay.listener.Start();
            relay.accepting = relay.AcceptAsync();
            return relay;
        }

        public void Cut()
        {
            cut = true;
            foreach (var socket in open.Keys)
            {
                Close(socket);
            }
        }

        public void Restore() => cut = false;

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync(stop.Token);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    return;
                }
                if (cut)
                {
                    client.Close();
                    continue;
                }
                _ = RelayAsync(client);
            }
        }

        private async Task RelayAsync(Socket client)
        {
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            open[client] = true;
            open[server] = true;
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, target, stop.Token);
                await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
            }
            catch (Exception)
            {
                // Cut, or the server is down: the client sees its connection closed.
            }
            finally
            {
                Close(client);
                Close(server);
            }
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (read == 0)
                {
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop.Token);
            }
        }

        private void Close(Socket socket)
        {
            open.TryRemove(socket, out _);
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            socket.Dispose();
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            Cut();
            await accepting;
            stop.Dispose();
        }
    }
}
