extern alias simulator;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Data;
using Portal.Hosting;
using Portal.Exports;
using Portal.Hosting.ScaleOut;
using Portal.Notifications;
using Portal.Security;
using Portal.Testing;
using Portal.Tracking;
using Portal.Upstream;
using simulator::DeviceApi.Simulator;
using simulator::DeviceApi.Simulator.Api;

namespace Portal.E2E;

/// <summary>
/// Three portal processes on real ports, one PostgreSQL database, one Redis and one simulator: the work, the budget,
/// the sessions and the changes are shared, and a killed instance's work is taken over.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ScaleOutTests(PortalServer server) : IAsyncLifetime
{
    private const int Requests = 300;
    private const int Budget = 1000;
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan IdleInterval = TimeSpan.FromMilliseconds(500);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly string prefix = $"scale-out-{Guid.NewGuid():N}";
    private readonly string database = $"portal_scale_out_{Guid.NewGuid():N}";
    private readonly string storage = Directory.CreateTempSubdirectory("portal-scale-out-").FullName;
    private readonly List<PortalProcess> instances = [];
    private SimulatorServer simulator = null!;
    private IHost submitter = null!;

    public async ValueTask InitializeAsync()
    {
        simulator = await SimulatorServer.StartAsync(options =>
        {
            options.DeviceCount = 3;
            options.Workers = 32;
            options.QueueDelay = TimeSpan.FromMilliseconds(100);
            options.MinimumPreparationTime = TimeSpan.FromMilliseconds(500);
            options.StoragePath = Path.Combine(storage, "upstream");
        }, cancellationToken: Cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        Directory.CreateDirectory(PortalServer.ArtifactsDirectory);
        foreach (var instance in instances)
        {
            instance.Dispose();
            await File.WriteAllTextAsync(Path.Combine(PortalServer.ArtifactsDirectory, $"scale-out-{instance.Name}.log"), instance.Output());
        }
        submitter?.Dispose();
        await simulator.DisposeAsync();
        TestDatabases.DropPostgreSqlDatabase(database);
        Directory.Delete(storage, recursive: true);
    }

    [Fact]
    public async Task ThreeInstancesShareTheWorkTheBudgetTheSessionsAndTheChangesAndTakeOverAKilledOnesWork()
    {
        var settings = SharedSettings();
        // C serves pages and hub clients only: whatever it shows was processed by another instance.
        // A migrates the new database first: on a loaded machine, instances waiting for the migration lock can
        // outlast the database command timeout.
        var a = PortalProcess.Start("A", settings, tracking: true);
        instances.Add(a);
        await a.WaitUntilReadyAsync(TimeSpan.FromSeconds(240));
        var b = PortalProcess.Start("B", settings, tracking: true);
        var c = PortalProcess.Start("C", settings, tracking: false);
        instances.AddRange([b, c]);
        await Task.WhenAll(b.WaitUntilReadyAsync(TimeSpan.FromSeconds(240)), c.WaitUntilReadyAsync(TimeSpan.FromSeconds(240)));
        submitter = StartSubmitter(settings);

        // Alice signs in on A; the cookie A issued opens her exports on B, and her hub client connects to C.
        await using var onA = await SessionAsync(a);
        await onA.SignInAsync("Alice Analyst");
        var cookies = await onA.Context.CookiesAsync();
        Assert.Equal(HttpStatusCode.OK, await StatusWithCookiesAsync(b, "exports", cookies));
        Assert.NotEqual(HttpStatusCode.OK, await StatusWithCookiesAsync(b, "exports", []));
        var heardOnC = new ConcurrentQueue<ExportChanged>();
        await using var hubOnC = new HubConnectionBuilder()
            .WithUrl(new Uri(c.Address, ExportsHub.Path), o => o.Cookies = Jar(c, cookies))
            .Build();
        hubOnC.On<ExportChanged>(ExportsHub.ExportChangedMethod, heardOnC.Enqueue);
        await hubOnC.StartAsync(Cancellation);

        // 300 requests of ten users, submitted the way the pages submit them.
        var stopwatch = Stopwatch.StartNew();
        var users = Enumerable.Range(0, 10).Select(i => User(i == 0 ? "Alice Analyst" : $"Scale User {i:00}")).ToArray();
        var submissions = submitter.Services.GetRequiredService<IServiceScopeFactory>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 10, CancellationToken = Cancellation },
            async (i, token) =>
            {
                using var scope = submissions.CreateScope();
                var day = DateTimeOffset.UtcNow.Date.AddDays(-2 - i / users.Length);
                var range = new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
                var outcome = await scope.ServiceProvider.GetRequiredService<IExportSubmissions>().SubmitAsync(users[i % users.Length], range, FileFormat.Csv, token);
                Assert.IsType<SubmitOutcome.Accepted>(outcome);
            });

        // B dies without a clean shutdown while it holds leases, a third of the way through. A lease lasts one pass, so
        // B is frozen (SIGSTOP) first and its leases read while it cannot release them; if it held none at that
        // instant it goes on (SIGCONT) and the wait starts again.
        var bOwner = $":{b.ProcessId}";
        List<(Guid Id, DateTimeOffset? Until)> heldByB;
        while (true)
        {
            await WaitUntilAsync(async () => await CountAsync(e => !Open.Contains(e.Status)) >= Requests / 3
                && await CountAsync(e => Open.Contains(e.Status) && e.LeaseOwner != null && e.LeaseOwner.EndsWith(bOwner)) > 0,
                TimeSpan.FromSeconds(90), "a third of the requests settled while B held leases");
            b.Signal("STOP");
            heldByB = await LeasesAsync(bOwner);
            if (heldByB.Count > 0)
            {
                break;
            }
            b.Signal("CONT");
        }
        var killedAt = DateTimeOffset.UtcNow;
        b.Kill();

        // Each of them is taken over (claimed by another instance, or settled) within one lease period and a pass.
        var takenOverAt = new Dictionary<Guid, DateTimeOffset>();
        await WaitUntilAsync(async () =>
        {
            var now = DateTimeOffset.UtcNow;
            var stillB = (await LeasesAsync(bOwner)).Select(l => l.Id).ToHashSet();
            foreach (var lease in heldByB.Where(l => !stillB.Contains(l.Id)))
            {
                takenOverAt.TryAdd(lease.Id, now);
            }
            return takenOverAt.Count == heldByB.Count;
        }, LeaseDuration + TimeSpan.FromSeconds(30), "B's requests were taken over");
        // One lease period, and a few seconds for the next pass of a tracker on a loaded machine.
        var slowestTakeOver = takenOverAt.Values.Max() - killedAt;
        TestContext.Current.SendDiagnosticMessage($"scale-out: B held {heldByB.Count} leases when killed; all taken over within {slowestTakeOver.TotalSeconds:0.0} s (lease {LeaseDuration.TotalSeconds:0} s)");
        foreach (var (id, at) in takenOverAt)
        {
            Assert.True(at - killedAt <= LeaseDuration + TimeSpan.FromSeconds(5),
                $"{id} was taken over {(at - killedAt).TotalSeconds:0.0} s after B was killed");
        }

        await WaitUntilAsync(async () => await CountAsync(e => Open.Contains(e.Status)) == 0, TimeSpan.FromSeconds(120), "every request settled");
        var processing = stopwatch.Elapsed;

        // A request Alice submits on C's page is sent and followed by A (the one tracker left) and shown live on C.
        await using var onC = await SessionAsync(c);
        await onC.Context.AddCookiesAsync(cookies.Select(Cookie));
        var viaC = await onC.SubmitLastHourAsync();
        await onC.ExpectStatusAsync("Completed", 60_000);
        Assert.Contains("Completed", await onC.SeenStatusesAsync());
        await WaitUntilAsync(() => Task.FromResult(heardOnC.Any(h => h.ExportId == viaC && h.Status == ExportStatus.Completed)),
            TimeSpan.FromSeconds(10), "C's hub client heard the page's request complete");

        await using var db = await submitter.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var rows = await db.ExportRequests.AsNoTracking().Where(e => e.Id != viaC).Select(e => new { e.Id, e.Status, e.OwnerId, e.RequestUuid, e.CompletedAt }).ToListAsync(Cancellation);
        var byStatus = rows.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
        TestContext.Current.SendDiagnosticMessage(string.Create(CultureInfo.InvariantCulture,
            $"scale-out: {Requests} requests settled in {processing.TotalSeconds:0.0} s; {string.Join(", ", byStatus.Select(s => $"{s.Key} {s.Value}"))}; B held {heldByB.Count} leases when killed"));

        // Every request reached a terminal state; only a POST that B had sent and not seen answered waits for a person.
        Assert.Equal(Requests, rows.Count);
        var unconfirmed = rows.Where(r => r.Status == ExportStatus.Unconfirmed).Select(r => r.Id).ToList();
        Assert.All(unconfirmed, id => Assert.Contains(heldByB, l => l.Id == id));
        Assert.Equal(Requests - unconfirmed.Count, byStatus.GetValueOrDefault(ExportStatus.Completed));

        // At the simulator: one POST per request, no request polled by two instances within the policy's minimum
        // interval, and no minute holding more calls than the one budget of all instances.
        var calls = simulator.Services.GetRequiredService<V3CallLog>().Calls.ToList();
        var posts = calls.Count(call => call.Method == "POST");
        // The 300 and the one submitted on C's page; an unconfirmed POST may not have reached the simulator.
        Assert.InRange(posts, Requests - unconfirmed.Count + 1, Requests + 1);
        foreach (var polls in calls.Where(call => call.Method == "GET").GroupBy(call => call.RequestUuid))
        {
            var ordered = polls.OrderBy(call => call.StartedAt).ToList();
            foreach (var (previous, next) in ordered.Zip(ordered.Skip(1)))
            {
                Assert.True(next.StartedAt - previous.EndedAt >= MinInterval - TimeSpan.FromMilliseconds(50),
                    $"{polls.Key} was polled at {next.StartedAt:HH:mm:ss.fff}, {(next.StartedAt - previous.EndedAt).TotalMilliseconds:0} ms after the poll answered at {previous.EndedAt:HH:mm:ss.fff}");
            }
        }
        var starts = calls.Select(call => call.StartedAt).Order().ToList();
        var busiestMinute = starts.Select((at, i) => starts.Skip(i).TakeWhile(t => t < at + TimeSpan.FromMinutes(1)).Count()).Max();
        TestContext.Current.SendDiagnosticMessage($"scale-out: {calls.Count} v3 calls, {posts} POSTs, busiest minute {busiestMinute} of a budget of {Budget}");
        Assert.True(busiestMinute <= Budget, $"{busiestMinute} upstream calls in one minute, more than the shared budget of {Budget}");

        // C's hub client heard Alice's changes, processed by A and B, each once and in version order (C relays what it
        // hears on the one Redis channel through its own feed), and every one of her completions, B's included.
        var alice = users[0].Id;
        var heard = heardOnC.ToList();
        Assert.All(heard, h => Assert.Equal(alice, h.OwnerId));
        foreach (var export in heard.GroupBy(h => h.ExportId))
        {
            var versions = export.Select(h => h.Version).ToList();
            Assert.True(versions.Zip(versions.Skip(1)).All(pair => pair.First < pair.Second),
                $"{export.Key} was heard in the versions {string.Join(", ", versions)}");
        }
        var aliceCompleted = rows.Where(r => r.OwnerId == alice && r.Status == ExportStatus.Completed).Select(r => r.Id).ToHashSet();
        Assert.Subset(heard.Where(h => h.Status == ExportStatus.Completed).Select(h => h.ExportId).ToHashSet(), aliceCompleted);
    }

    private static readonly ExportStatus[] Open = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];

    private Dictionary<string, string?> SharedSettings()
    {
        var settings = TestDatabases.PostgreSqlSettings(database);
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = TestDatabases.RedisServer,
            ["Redis:KeyPrefix"] = prefix,
            ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
            ["Upstream:ClientId"] = "portal",
            ["Upstream:ClientSecret"] = "portal-secret",
            ["Upstream:Timeout"] = "00:00:08",
            ["Upstream:AttemptTimeout"] = "00:00:06",
            ["Tracking:LeaseDuration"] = LeaseDuration.ToString(),
            ["Tracking:PollBudgetPerMinute"] = Budget.ToString(CultureInfo.InvariantCulture),
            ["Tracking:MaxParallelCalls"] = "8",
            ["Tracking:IdleInterval"] = IdleInterval.ToString(),
            ["Tracking:MinInterval"] = MinInterval.ToString(),
            ["Tracking:DenseInterval"] = "00:00:01",
            ["Tracking:MaxInterval"] = "00:00:02",
            ["Tracking:MaxIntervalBeforeExpected"] = "00:00:01",
            ["Tracking:ErrorBackoff"] = "00:00:00.500",
            ["Tracking:ErrorBackoffCap"] = "00:00:02",
            ["Notifications:DispatchInterval"] = "00:00:00.250",
            ["Exports:MaxSubmissionsPerMinute"] = "1000",
            ["Exports:DailyAllowancePerUser"] = "100000",
            ["Logging:LogLevel:Default"] = "Warning",
        })
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>A fourth host that only submits (as the pages do) and reads the rows; it runs none of the background work.</summary>
    private static IHost StartSubmitter(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        // An empty builder runs as Production: the test Redis on loopback has neither a password nor TLS.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Tracking:Enabled"] = "false", ["Redis:AllowInsecureConnection"] = "true" });
        builder.Logging.AddFilter(_ => false);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditLog>();
        builder.AddExportEngine();
        builder.AddPortalScaleOut();
        return builder.Build();
    }

    private static ExportUser User(string name)
    {
        var id = DevelopmentUserStore.IdFor(name);
        return new ExportUser(id, name, $"{id}@example.test", IsAdmin: false);
    }

    private async Task<int> CountAsync(System.Linq.Expressions.Expression<Func<ExportRequest, bool>> predicate)
    {
        await using var db = await submitter.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportRequests.CountAsync(predicate, Cancellation);
    }

    private async Task<List<(Guid Id, DateTimeOffset? Until)>> LeasesAsync(string ownerSuffix)
    {
        await using var db = await submitter.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var leases = await db.ExportRequests.AsNoTracking()
            .Where(e => Open.Contains(e.Status) && e.LeaseOwner != null && e.LeaseOwner.EndsWith(ownerSuffix))
            .Select(e => new { e.Id, e.LeaseUntil })
            .ToListAsync(Cancellation);
        return [.. leases.Select(l => (l.Id, l.LeaseUntil))];
    }

    private async Task<BrowserSession> SessionAsync(PortalProcess instance)
    {
        var context = await server.Browser.NewContextAsync(new() { BaseURL = instance.Address.ToString() });
        context.SetDefaultTimeout(PortalServer.WaitCeilingMs);
        return await BrowserSession.StartAsync(context);
    }

    private static async Task<HttpStatusCode> StatusWithCookiesAsync(PortalProcess instance, string path, IReadOnlyList<BrowserContextCookiesResult> cookies)
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Jar(instance, cookies) }) { BaseAddress = instance.Address };
        using var response = await http.GetAsync(path, Cancellation);
        return response.StatusCode;
    }

    private static CookieContainer Jar(PortalProcess instance, IEnumerable<BrowserContextCookiesResult> cookies)
    {
        var jar = new CookieContainer();
        foreach (var cookie in cookies)
        {
            jar.Add(instance.Address, new System.Net.Cookie(cookie.Name, cookie.Value, "/"));
        }
        return jar;
    }

    private static Microsoft.Playwright.Cookie Cookie(BrowserContextCookiesResult cookie) => new()
    {
        Name = cookie.Name,
        Value = cookie.Value,
        Domain = cookie.Domain,
        Path = cookie.Path,
        HttpOnly = cookie.HttpOnly,
        Secure = cookie.Secure,
        SameSite = cookie.SameSite,
    };

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string because)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {timeout.TotalSeconds:0} s: {because}");
            await Task.Delay(50, Cancellation);
        }
    }

    /// <summary>One portal as its own OS process (<c>dotnet Portal.dll</c>) on a free loopback port.</summary>
    private sealed class PortalProcess : IDisposable
    {
        private readonly Process process;
        private readonly ConcurrentQueue<string> output = new();

        private PortalProcess(string name, Process process, Uri address)
        {
            Name = name;
            this.process = process;
            Address = address;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Name { get; }

        public Uri Address { get; }

        public int ProcessId => process.Id;

        /// <summary>Sends a signal by name (<c>STOP</c>, <c>CONT</c>) to the process.</summary>
        public void Signal(string name)
        {
            using var kill = Process.Start("kill", [$"-{name}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public static PortalProcess Start(string name, Dictionary<string, string?> settings, bool tracking)
        {
            var port = FreePort();
            var address = new Uri($"http://127.0.0.1:{port}/");
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.GetDirectoryName(PortalDll)!,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(PortalDll);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add(address.ToString().TrimEnd('/'));
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            foreach (var (key, value) in settings)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
            start.Environment["Tracking__Enabled"] = tracking ? "true" : "false";
            return new PortalProcess(name, Process.Start(start)!, address);
        }

        public async Task WaitUntilReadyAsync(TimeSpan timeout)
        {
            using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                Assert.False(process.HasExited, $"instance {Name} exited: {string.Join(Environment.NewLine, output.TakeLast(40))}");
                try
                {
                    using var response = await http.GetAsync("health/ready", Cancellation);
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!Cancellation.IsCancellationRequested)
                {
                }
                Assert.True(DateTime.UtcNow < deadline, $"instance {Name} not ready within {timeout.TotalSeconds:0} s: {string.Join(Environment.NewLine, output.TakeLast(40))}");
                await Task.Delay(200, Cancellation);
            }
        }

        /// <summary>SIGKILL: no shutdown, no lease released.</summary>
        public void Kill()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        public string Output() => string.Join(Environment.NewLine, output);

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }
            output.Enqueue(line);
            while (output.Count > 200)
            {
                output.TryDequeue(out _);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        /// <summary>The portal this test project was built with, from its own output folder (same configuration).</summary>
        private static string PortalDll { get; } = FindPortalDll();

        private static string FindPortalDll()
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = testOutput.Parent!.Name;
            var root = testOutput;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Portal.sln")))
            {
                root = root.Parent;
            }
            var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Portal.sln not found above " + AppContext.BaseDirectory),
                "src", "Portal", "bin", configuration, testOutput.Name, "Portal.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} not found: build src/Portal in {configuration} first.");
        }
    }
}
