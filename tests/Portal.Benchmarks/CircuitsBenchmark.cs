using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Benchmarks;

/// <summary>
/// People with an export's page open. The portal runs in a process of its own (Kestrel, Development, SQLite, server
/// GC as deployed, tracker off); this process signs in N users through the development sign-in, each with a cookie of
/// their own, gives each an export in progress and opens one Blazor circuit per user on <c>/exports/{id}</c> (see
/// <see cref="BlazorCircuit"/>). It reads the portal's managed heap after a full GC and its working set before and
/// after the circuits opened: the difference over N is the cost of a circuit. Then every export changes every few
/// seconds (staggered; the request row and its event row saved in one transaction as the tracker saves them, then the
/// portal's outbox woken) and it measures from each save until the render batch carrying that change reaches the
/// circuit's client, and the portal process's CPU meanwhile (percent of one core). One fresh portal per N.
/// Options: <c>--n 500,2000,5000 --period-s 5 --seconds 30 --connect-parallel 16 --hold-s 0</c> (keeps the circuits open
/// that long after measuring their memory, e.g. for <c>dotnet dotnet-gcdump collect -p PID</c>).
/// </summary>
public sealed partial class CircuitsBenchmark : IBenchmark
{
    private const string ServeFlag = "--serve";
    private const string ControlPath = "/benchmark";

    public string Name => "circuits";

    public string Description => "N users each with a live circuit on their export's page: server KB per circuit, push p50/p95, CPU";

    public Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        args.Contains(ServeFlag) ? ServeAsync(new BenchmarkArguments(args), cancellationToken) : MeasureAsync(args, cancellationToken);

    private static async Task<int> MeasureAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var options = new BenchmarkArguments(args);
        var counts = (options.Value("n") ?? "500,2000,5000").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        var period = TimeSpan.FromSeconds(options.Number("period-s", 5));
        var duration = TimeSpan.FromSeconds(options.Number("seconds", 30));
        var parallel = options.Number("connect-parallel", 16);
        var hold = TimeSpan.FromSeconds(options.Number("hold-s", 0));
        foreach (var n in counts)
        {
            await MeasureOneAsync(n, period, duration, parallel, hold, cancellationToken);
        }
        return 0;
    }

    private static async Task MeasureOneAsync(int n, TimeSpan period, TimeSpan duration, int parallel, TimeSpan hold, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("portal-benchmark-circuits-").FullName;
        var database = Path.Combine(directory, "portal.db");
        var circuits = new List<BlazorCircuit>();
        using var server = StartServer(database);
        try
        {
            var address = await ReadAddressAsync(server, cancellationToken);
            using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            {
                BaseAddress = address, Timeout = TimeSpan.FromMinutes(2),
            };
            using var dataHost = InflightTrackerHost.DataHost(new() { ["ConnectionStrings:Portal"] = $"Data Source={database}" });
            var db = dataHost.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

            // User 0 opens a circuit first, so that what the first circuit of a page compiles and caches is not
            // counted as the cost of the others.
            var users = new User[n + 1];
            var watch = Stopwatch.StartNew();
            using var signIn = await DevelopmentSignIn.OpenAsync(address, cancellationToken);
            await ForEachAsync(Enumerable.Range(0, n + 1), parallel, async i => users[i] = await User.SignInAsync(signIn, i, cancellationToken));
            await CreateExportsAsync(db, users, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# circuits: n={n}: {n + 1} users signed in with an export each in {watch.Elapsed.TotalSeconds:F1} s; portal pid {server.Id} at {address}; load {LoadAverage()}"));

            circuits.Add(await users[0].OpenAsync(http, address, cancellationToken));
            await users[0].WaitForFirstRenderAsync(TimeSpan.FromSeconds(60), cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var before = await StatsAsync(http, server.Id, cancellationToken);

            watch.Restart();
            var opened = new BlazorCircuit[n];
            await ForEachAsync(Enumerable.Range(1, n), parallel, async i =>
            {
                opened[i - 1] = await users[i].OpenAsync(http, address, cancellationToken);
                await users[i].WaitForFirstRenderAsync(TimeSpan.FromSeconds(120), cancellationToken);
            });
            circuits.AddRange(opened);
            var openSeconds = watch.Elapsed.TotalSeconds;
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
            var after = await StatsAsync(http, server.Id, cancellationToken);
            var heapKb = (after.HeapBytes - before.HeapBytes) / 1024.0 / n;
            var workingSetKb = (after.WorkingSetBytes - before.WorkingSetBytes) / 1024.0 / n;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {n} circuits open in {openSeconds:F1} s; after a full GC: heap {before.HeapBytes / 1048576.0:F1} -> {after.HeapBytes / 1048576.0:F1} MB ({heapKb:F0} KB a circuit), " +
                $"working set {before.WorkingSetBytes / 1048576.0:F1} -> {after.WorkingSetBytes / 1048576.0:F1} MB ({workingSetKb:F0} KB a circuit)"));

            if (hold > TimeSpan.Zero)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#   holding the circuits open {hold.TotalSeconds:F0} s (portal pid {server.Id})"));
                await Task.Delay(hold, cancellationToken);
            }

            // Changes: export i changes at i/N of each period, so the saves spread evenly over it.
            var changer = new Changer(db, http, users[1..]);
            var cpuBefore = ProcessCpu(server.Id);
            var clientCpuBefore = ProcessCpu(Environment.ProcessId);
            var started = Stopwatch.GetTimestamp();
            await changer.RunAsync(period, duration, cancellationToken);
            var cpuSeconds = ProcessCpu(server.Id) - cpuBefore;
            var clientCpuSeconds = ProcessCpu(Environment.ProcessId) - clientCpuBefore;
            var wall = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await changer.WaitForArrivalsAsync(TimeSpan.FromSeconds(30), cancellationToken);
            var latencies = changer.Latencies();
            var late = await StatsAsync(http, server.Id, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"#   {changer.Saved} changes in {wall:F1} s ({changer.Saved / wall:F0}/s), {latencies.Length} arrived, max {(latencies.Length > 0 ? latencies[^1] : 0):F0} ms; " +
                $"this process (clients and writer) {100 * clientCpuSeconds / wall:F0} % of a core; " +
                $"after them heap {late.HeapBytes / 1048576.0:F1} MB, working set {late.WorkingSetBytes / 1048576.0:F1} MB; load {LoadAverage()}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"circuits: n={n} kb_per_circuit={heapKb:F0} push_p50_ms={Percentile(latencies, 0.5):F1} push_p95_ms={Percentile(latencies, 0.95):F1} cpu_pct={100 * cpuSeconds / wall:F1}"));
        }
        finally
        {
            await ForEachAsync(circuits.Where(c => c is not null), 64, async c => await c.DisposeAsync());
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                await server.WaitForExitAsync(CancellationToken.None);
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

    private static Process StartServer(string database)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            // The portal process stops when this one ends: its standard input closes.
            RedirectStandardInput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(CircuitsBenchmark).Assembly.Location);
        start.ArgumentList.Add("circuits");
        start.ArgumentList.Add(ServeFlag);
        start.ArgumentList.Add("--database");
        start.ArgumentList.Add(database);
        // As the portal runs when deployed (the web SDK's default); this console project would otherwise give it workstation GC.
        start.Environment["DOTNET_gcServer"] = "1";
        return Process.Start(start) ?? throw new InvalidOperationException("The portal process did not start.");
    }

    private static async Task<Uri> ReadAddressAsync(Process server, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        while (await server.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("listening ", StringComparison.Ordinal))
            {
                // Keep draining its output, or a full pipe would stop it.
                _ = Task.Run(async () =>
                {
                    while (await server.StandardOutput.ReadLineAsync(CancellationToken.None) is { } more)
                    {
                        Console.WriteLine("# portal: " + more);
                    }
                }, CancellationToken.None);
                return new Uri(line["listening ".Length..]);
            }
            Console.WriteLine("# portal: " + line);
        }
        throw new InvalidOperationException("The portal process ended before it listened.");
    }

    private static async Task CreateExportsAsync(IDbContextFactory<PortalDbContext> factory, User[] users, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-2);
        foreach (var user in users)
        {
            var request = new ExportRequest
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = DevelopmentUserStore.IdFor(user.Name),
                OwnerName = user.Name,
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
            user.Export = request;
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private static async Task ForEachAsync<T>(IEnumerable<T> items, int parallel, Func<T, Task> action) =>
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (item, _) => await action(item));

    private sealed record Stats(long HeapBytes, long WorkingSetBytes);

    /// <summary>The portal's managed heap after a full, compacting GC (it runs the GC) and then its working set.</summary>
    private static async Task<Stats> StatsAsync(HttpClient http, int pid, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"{ControlPath}/gc", null, cancellationToken);
        response.EnsureSuccessStatusCode();
        var heap = long.Parse(await response.Content.ReadAsStringAsync(cancellationToken), CultureInfo.InvariantCulture);
        return new Stats(heap, WorkingSet(pid));
    }

    private static long WorkingSet(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        throw new InvalidOperationException("No VmRSS in /proc/status.");
    }

    /// <summary>User plus system CPU seconds of a process so far.</summary>
    private static double ProcessCpu(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of stat (utime, stime), counted after the command's closing parenthesis.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }

    private static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

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

    /// <summary>A signed-in user with an export and its circuit; records when each change's text reached the circuit.</summary>
    private sealed class User(string name, string cookie)
    {
        private readonly TaskCompletionSource firstRender = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private byte[]? firstRenderText;

        // The change this user's page waits for: its text, when it was saved and when it arrived (0: not yet). The
        // outbox also looks for rows by itself each second, so a change may arrive before its save was noted here.
        private readonly Lock gate = new();
        private byte[]? pendingText;
        private long pendingSavedAt;
        private long pendingArrivedAt;
        private bool pending;

        public string Name { get; } = name;

        public ExportRequest Export { get; set; } = default!;

        private List<double> Latencies { get; } = [];

        public double[] LatenciesSoFar()
        {
            lock (gate)
            {
                return [.. Latencies];
            }
        }

        public bool Pending
        {
            get
            {
                lock (gate)
                {
                    return pending;
                }
            }
        }

        public static async Task<User> SignInAsync(DevelopmentSignIn signIn, int index, CancellationToken cancellationToken)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"Circuit User {index}");
            return new User(name, await signIn.SignInAsync(name, cancellationToken));
        }

        public async Task<BlazorCircuit> OpenAsync(HttpClient http, Uri address, CancellationToken cancellationToken)
        {
            // The request id is shown only once the page has loaded the export: its first interactive render.
            firstRenderText = Encoding.UTF8.GetBytes(Export.RequestUuid!);
            return await BlazorCircuit.StartAsync(http, new Uri(address, $"exports/{Export.Id}"), cookie, OnBatch, cancellationToken);
        }

        public async Task WaitForFirstRenderAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
            await firstRender.Task.WaitAsync(timeout, cancellationToken);

        /// <summary>The change about to be saved: its timeline text, which the page shows once it has it.</summary>
        public void Expect(byte[] text)
        {
            lock (gate)
            {
                (pendingText, pendingSavedAt, pendingArrivedAt, pending) = (text, 0, 0, true);
            }
        }

        public void Saved(long at)
        {
            lock (gate)
            {
                pendingSavedAt = at;
                if (pendingArrivedAt != 0)
                {
                    // Arrived while the save's commit was being noted: about at once.
                    Arrived(Math.Max(pendingArrivedAt, at));
                }
            }
        }

        private void OnBatch(ReadOnlyMemory<byte> batch)
        {
            var now = Stopwatch.GetTimestamp();
            if (!firstRender.Task.IsCompleted && firstRenderText is { } first && batch.Span.IndexOf(first) >= 0)
            {
                firstRender.TrySetResult();
            }
            lock (gate)
            {
                if (!pending || pendingArrivedAt != 0 || pendingText is not { } text || batch.Span.IndexOf(text) < 0)
                {
                    return;
                }
                pendingArrivedAt = now;
                if (pendingSavedAt != 0)
                {
                    Arrived(now);
                }
            }
        }

        private void Arrived(long at)
        {
            Latencies.Add(Stopwatch.GetElapsedTime(pendingSavedAt, at).TotalMilliseconds);
            pending = false;
        }
    }

    /// <summary>
    /// The development sign-in's form, posted once for each user with the one antiforgery token and cookie the form
    /// gave (the token is not bound to a user while nobody is signed in): half the requests of loading it each time.
    /// </summary>
    private sealed partial class DevelopmentSignIn(HttpClient client, string antiforgeryCookie, string token) : IDisposable
    {
        public static async Task<DevelopmentSignIn> OpenAsync(Uri address, CancellationToken cancellationToken)
        {
            var client = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, MaxConnectionsPerServer = 64 }) { BaseAddress = address };
            using var response = await client.GetAsync("/account/dev-signin", cancellationToken);
            response.EnsureSuccessStatusCode();
            var token = AntiforgeryInput().Match(await response.Content.ReadAsStringAsync(cancellationToken));
            if (!token.Success)
            {
                throw new InvalidOperationException("The development sign-in page has no antiforgery token.");
            }
            return new DevelopmentSignIn(client, Cookies(response), WebUtility.HtmlDecode(token.Groups[1].Value));
        }

        /// <summary>Signs <paramref name="name"/> in; returns the Cookie header of their session.</summary>
        public async Task<string> SignInAsync(string name, CancellationToken cancellationToken)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["name"] = name, ["admin"] = "false", ["returnUrl"] = "/", ["__RequestVerificationToken"] = token,
            });
            using var request = new HttpRequestMessage(HttpMethod.Post, "/account/dev-signin") { Content = form };
            request.Headers.Add("Cookie", antiforgeryCookie);
            using var response = await client.SendAsync(request, cancellationToken);
            var session = Cookies(response);
            if ((int)response.StatusCode >= 400 || session.Length == 0)
            {
                throw new InvalidOperationException($"The development sign-in of {name} answered {(int)response.StatusCode} without a session cookie.");
            }
            return session;
        }

        private static string Cookies(HttpResponseMessage response) =>
            string.Join("; ", response.Headers.TryGetValues("Set-Cookie", out var values) ? values.Select(v => v.Split(';')[0]) : []);

        public void Dispose() => client.Dispose();

        [GeneratedRegex(""""<input[^>]*name="__RequestVerificationToken"[^>]*value="([^"]+)"""")]
        private static partial Regex AntiforgeryInput();
    }

    /// <summary>
    /// Saves each user's changes on a schedule, as the tracker saves one (the request row with a new version and its
    /// event row in one transaction), the changes due at the same tick in one transaction, then wakes the portal's
    /// outbox. The event's detail is unique, so its arrival is found in the circuit's render batch.
    /// </summary>
    private sealed class Changer(IDbContextFactory<PortalDbContext> factory, HttpClient http, User[] users)
    {
        private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

        public int Saved { get; private set; }

        public async Task RunAsync(TimeSpan period, TimeSpan duration, CancellationToken cancellationToken)
        {
            var start = Stopwatch.GetTimestamp();
            var next = 0L;
            var total = (long)(users.Length * (duration / period));
            while (next < total)
            {
                var elapsed = Stopwatch.GetElapsedTime(start);
                var due = Math.Min(total, (long)(users.Length * (elapsed / period)) + 1);
                var batch = new List<User>();
                for (; next < due; next++)
                {
                    var user = users[next % users.Length];
                    // A page still waiting for its previous change is not given another: each latency is one change's.
                    if (!user.Pending)
                    {
                        batch.Add(user);
                    }
                }
                if (batch.Count > 0)
                {
                    await SaveAsync(batch, cancellationToken);
                }
                await Task.Delay(Tick, cancellationToken);
            }
        }

        private async Task SaveAsync(List<User> batch, CancellationToken cancellationToken)
        {
            await using (var db = await factory.CreateDbContextAsync(cancellationToken))
            {
                var ids = batch.Select(u => u.Export.Id).ToList();
                var rows = await db.ExportRequests.Where(e => ids.Contains(e.Id)).ToDictionaryAsync(e => e.Id, cancellationToken);
                var now = DateTimeOffset.UtcNow;
                foreach (var user in batch)
                {
                    var request = rows[user.Export.Id];
                    request.Version++;
                    request.UpdatedAt = now;
                    var detail = string.Create(CultureInfo.InvariantCulture, $"Checked {user.Name} #{request.Version}.");
                    db.ExportEvents.Add(new ExportEvent
                    {
                        ExportId = request.Id, OwnerId = request.OwnerId, Version = request.Version, At = now,
                        From = request.Status, To = request.Status, Actor = ExportProgress.TrackerActor, Detail = detail,
                    });
                    user.Expect(Encoding.UTF8.GetBytes(detail));
                }
                await db.SaveChangesAsync(cancellationToken);
            }
            var saved = Stopwatch.GetTimestamp();
            foreach (var user in batch)
            {
                user.Saved(saved);
            }
            Saved += batch.Count;
            using var response = await http.PostAsync($"{ControlPath}/wake", null, cancellationToken);
            response.EnsureSuccessStatusCode();
        }

        public async Task WaitForArrivalsAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
            while (users.Any(u => u.Pending) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            var missing = users.Count(u => u.Pending);
            if (missing > 0)
            {
                Console.WriteLine($"#   {missing} changes had not arrived after {timeout.TotalSeconds:F0} s");
            }
        }

        public double[] Latencies()
        {
            var all = users.SelectMany(u => u.LatenciesSoFar()).ToArray();
            Array.Sort(all);
            return all;
        }
    }

    /// <summary>The portal process: Kestrel on a free port, plus the benchmark's two control endpoints.</summary>
    private static async Task<int> ServeAsync(BenchmarkArguments options, CancellationToken cancellationToken)
    {
        var database = options.Value("database") ?? throw new ArgumentException("--database is missing.");
        await using var portal = new CircuitsPortal(database);
        portal.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        portal.StartServer();
        var address = portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        Console.WriteLine("listening " + address);
        // Until the benchmark's process ends or closes this one's standard input.
        await Console.In.ReadToEndAsync(cancellationToken);
        return 0;
    }

    private sealed class CircuitsPortal(string database) : WebApplicationFactory<PortalDbContext>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={database}");
            builder.UseSetting("Tracking:Enabled", "false");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, ControlEndpoints>());
        }

        protected override IHost CreateHost(IHostBuilder builder)
        {
            var manifest = Path.Combine(AppContext.BaseDirectory, "MvcTestingAppManifest.json");
            var roots = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(manifest))!;
            builder.UseContentRoot(roots[typeof(PortalDbContext).Assembly.FullName!]);
            return base.CreateHost(builder);
        }
    }

    /// <summary><c>POST /benchmark/gc</c>: a full GC, answered with the heap's bytes; <c>POST /benchmark/wake</c>: wakes the outbox.</summary>
    private sealed class ControlEndpoints : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Map(ControlPath + "/gc", branch => branch.Run(async context =>
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                await context.Response.WriteAsync(GC.GetTotalMemory(forceFullCollection: true).ToString(CultureInfo.InvariantCulture));
            }));
            app.Map(ControlPath + "/wake", branch => branch.Run(context =>
            {
                context.RequestServices.GetRequiredService<IExportOutbox>().Wake();
                return Task.CompletedTask;
            }));
            next(app);
        };
    }
}
