extern alias simulator;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Api;
using Portal.Data;
using Portal.Exports;
using Portal.Security;
using Portal.Testing;
using simulator::DeviceApi.Simulator;
using simulator::DeviceApi.Simulator.Api;

namespace Portal.E2E;

/// <summary>
/// PostgreSQL restarted or down for a while under running portals, on a private cluster (the shared server serves
/// other tests): the open exports end, each upstream job is started once, a submission made meanwhile is refused with
/// a clear message, a page shows a calm state and recovers by itself, and no portal needs a restart. Here, not among the
/// integration tests, because those run once per database engine and these use PostgreSQL whatever the run's engine.
/// </summary>
[Collection(EngineOutageTests.Name)]
public sealed class PostgreSqlOutageTests(PortalServer server)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly ExportUser Alice = new(DevelopmentUserStore.IdFor("Alice"), "Alice", "alice@example.test", IsAdmin: false);

    [Fact]
    public async Task AFastRestartUnderTwoInstancesEndsEveryOpenExportWithOnePostEach()
    {
        await using var pg = await RestartablePostgres.StartAsync();
        await using var simulator = await StartSimulatorAsync();
        var settings = Settings(await CreateDatabaseAsync(pg), simulator);
        await using var a = OutagePortal.Start(settings);
        await using var b = OutagePortal.Start(settings);

        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await SubmitAsync(i % 2 == 0 ? a : b, Day(i + 1)));
        }
        await Eventually.HoldsAsync(() => Posts(simulator) >= 2, "the first POSTs to go out");

        var restarted = Stopwatch.StartNew();
        await pg.RestartAsync();
        var back = restarted.Elapsed;
        await a.WaitUntilAllAsync(ids, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        var ended = restarted.Elapsed;

        Assert.Equal(ids.Count, Posts(simulator));
        Assert.Equal(ids.Count, (await a.RowsAsync(ids)).Select(r => r.RequestUuid).Distinct().Count());
        // Both instances serve pages and take submissions again without a restart.
        Assert.Equal(HttpStatusCode.OK, (await a.CreateClient().GetAsync("/health/ready", Cancellation)).StatusCode);
        await SubmitAsync(b, Day(10));
        TestContext.Current.TestOutputHelper?.WriteLine($"postgres fast restart: the server was back after {back.TotalSeconds:0.0} s, every export ended {ended.TotalSeconds:0.0} s after the restart began");
    }

    [Fact]
    public async Task AThirtySecondOutageIsWaitedOutCalmlyAndEverythingResumesByItself()
    {
        await using var pg = await RestartablePostgres.StartAsync();
        await using var simulator = await StartSimulatorAsync();
        var settings = Settings(await CreateDatabaseAsync(pg), simulator);
        await using var portal = OutagePortal.Start(settings);

        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await SubmitAsync(portal, Day(i + 1)));
        }
        var token = await portal.Services.GetRequiredService<AccessTokens>().CreateAsync(Alice, "outage", DateTimeOffset.UtcNow.AddDays(1), Cancellation);
        using var api = portal.CreateClient();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);

        // One person watches an export; another has the new-export form filled in.
        await using var watcher = await SessionAsync(portal);
        await watcher.SignInAsync("Alice", returnUrl: $"/exports/{ids[0]}");
        await Expect(watcher.Page.GetByTestId("export-status")).ToBeVisibleAsync();
        await using var submitter = await SessionAsync(portal);
        await submitter.SignInAsync("Alice", returnUrl: "/exports/new");
        await submitter.Page.GetByTestId("preset-last-hour").ClickAsync();
        await submitter.Page.GetByTestId("format-CSV").ClickAsync();

        await pg.StopAsync("fast");
        var outage = Stopwatch.StartNew();

        // A submission during the outage: refused with a clear message on the page and in the API, nothing half made.
        await submitter.Page.GetByTestId("submit-export").ClickAsync();
        await Expect(submitter.Page.GetByTestId("submit-error")).ToContainTextAsync("cannot reach its database");
        using var refused = await api.PostAsync("/api/v1/exports",
            new StringContent("""{"timerange":{"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"},"fileformat":"CSV"}""", Encoding.UTF8, "application/json"), Cancellation);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);

        // A page loaded during the outage is calm, not an error page.
        await watcher.Page.ReloadAsync();
        var calm = watcher.Page.GetByTestId("database-unavailable");
        await Expect(calm).ToContainTextAsync("The portal cannot reach its database right now. It keeps trying; this page will reload by itself.");
        await Expect(watcher.Page.GetByTestId("page-error")).ToHaveCountAsync(0);
        Directory.CreateDirectory(PortalServer.ArtifactsDirectory);
        await watcher.Page.ScreenshotAsync(new() { Path = Path.Combine(PortalServer.ArtifactsDirectory, "database-unavailable.png") });

        var rest = TimeSpan.FromSeconds(30) - outage.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, Cancellation);
        }
        await pg.StartAgainAsync();
        var restarted = Stopwatch.StartNew();

        // The page comes back by itself, and the exports end, each started upstream once.
        await Expect(watcher.Page.GetByTestId("export-status")).ToBeVisibleAsync();
        var pageBack = restarted.Elapsed;
        await portal.WaitUntilAllAsync(ids, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        var exportsEnded = restarted.Elapsed;
        await Expect(watcher.Page.GetByTestId("export-status")).ToHaveAttributeAsync("data-status", "Completed");

        // Submitting works again, on the same form.
        await submitter.Page.GetByTestId("submit-export").ClickAsync();
        await submitter.ExpectExportPageAsync();
        var late = Guid.Parse(Flows.ExportPageUrl().Match(submitter.Page.Url).Groups["id"].Value);
        await portal.WaitUntilAllAsync([late], ExportStatus.Completed, TimeSpan.FromSeconds(60));

        Assert.Equal(ids.Count + 1, Posts(simulator));
        Assert.Equal(ids.Count + 1, await portal.CountAsync(_ => true));
        // The outage is in the log once when it begins and once when it ends, not once per row and pass.
        Assert.Equal(1, portal.Logs.Count(l => l.StartsWith("The portal database is unavailable", StringComparison.Ordinal)));
        Assert.Equal(1, portal.Logs.Count(l => l.StartsWith("The portal database is available again", StringComparison.Ordinal)));
        Assert.DoesNotContain(portal.Logs, l => l.StartsWith("Tracking export request", StringComparison.Ordinal));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"postgres 30 s outage: the page was back {pageBack.TotalSeconds:0.0} s and every export ended {exportsEnded.TotalSeconds:0.0} s after the server started again");
    }

    [Fact]
    public async Task AnUpstreamAnswerReceivedWhileTheDatabaseIsDownIsSavedOnceItIsBack()
    {
        await using var pg = await RestartablePostgres.StartAsync();
        await using var simulator = await StartSimulatorAsync(options => options.Faults.AddedLatency = TimeSpan.FromSeconds(3));
        var settings = Settings(await CreateDatabaseAsync(pg), simulator);
        await using var portal = OutagePortal.Start(settings);

        var id = await SubmitAsync(portal, Day(1));
        // The attempt is stored before the POST goes out; the simulator answers it 3 s later.
        await Eventually.HoldsAsync(async () => (await portal.RowsAsync([id]))[0].SubmitSentAt is not null, "the POST to go out");
        await pg.StopAsync("fast");
        await Eventually.HoldsAsync(() => Posts(simulator) == 1, "the simulator to answer the POST", TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(2), Cancellation);
        simulator.Reconfigure(options => options.Faults.AddedLatency = TimeSpan.Zero);
        await pg.StartAgainAsync();

        await portal.WaitUntilAllAsync([id], ExportStatus.Completed, TimeSpan.FromSeconds(60));
        var row = (await portal.RowsAsync([id]))[0];
        Assert.Equal(1, Posts(simulator));
        Assert.Equal(1, row.SubmitAttempts);
        Assert.Contains(row.Events, e => e.To == ExportStatus.Submitted && e.Detail!.Contains(row.RequestUuid!, StringComparison.Ordinal));
        Assert.DoesNotContain(row.Events, e => e.To == ExportStatus.Unconfirmed);
    }

    private static Task<SimulatorServer> StartSimulatorAsync(Action<SimulatorOptions>? configure = null) =>
        SimulatorServer.StartAsync(options =>
        {
            options.DeviceCount = 3;
            options.QueueDelay = TimeSpan.FromMilliseconds(100);
            options.MinimumPreparationTime = TimeSpan.FromSeconds(2);
            configure?.Invoke(options);
        }, cancellationToken: Cancellation);

    private static int Posts(SimulatorServer simulator) =>
        simulator.Services.GetRequiredService<V3CallLog>().Calls.Count(c => c.Method == "POST");

    private static TimeRange Day(int daysAgo)
    {
        var day = DateTimeOffset.UtcNow.Date.AddDays(-daysAgo);
        return new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
    }

    private static async Task<Guid> SubmitAsync(OutagePortal portal, TimeRange range)
    {
        using var scope = portal.Services.CreateScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<IExportSubmissions>().SubmitAsync(Alice, range, FileFormat.Csv, Cancellation);
        return Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
    }

    private static async Task<string> CreateDatabaseAsync(RestartablePostgres pg)
    {
        await using (var connection = new NpgsqlConnection(pg.ConnectionString()))
        {
            await connection.OpenAsync(Cancellation);
            await using var command = new NpgsqlCommand("CREATE DATABASE portal", connection);
            await command.ExecuteNonQueryAsync(Cancellation);
        }
        return pg.ConnectionString("portal");
    }

    private static Dictionary<string, string?> Settings(string connectionString, SimulatorServer simulator) => new()
    {
        ["Database:Provider"] = "PostgreSQL",
        ["ConnectionStrings:Portal"] = connectionString,
        ["Upstream:BaseUrl"] = simulator.BaseAddress.ToString(),
        ["Upstream:ClientId"] = simulator.Options.ClientId,
        ["Upstream:ClientSecret"] = simulator.Options.ClientSecret,
        ["Tracking:IdleInterval"] = "00:00:00.500",
        ["Tracking:MinInterval"] = "00:00:00.250",
        ["Tracking:DenseInterval"] = "00:00:00.500",
        ["Tracking:MaxInterval"] = "00:00:01",
        ["Tracking:MaxIntervalBeforeExpected"] = "00:00:01",
        // Tracking:ErrorBackoffCap keeps its default of minutes: a row parked for an outage would show here as a wait.
        // A short lease (it must outlast the upstream timeout): a row whose claim the restart left standing is taken
        // up again within the test's minute rather than after the default two minutes.
        ["Upstream:Timeout"] = "00:00:05",
        ["Upstream:AttemptTimeout"] = "00:00:05",
        ["Tracking:LeaseDuration"] = "00:00:10",
        ["Notifications:DispatchInterval"] = "00:00:00.250",
        ["Exports:MaxSubmissionsPerMinute"] = "1000",
        ["Exports:DailyAllowancePerUser"] = "100000",
    };

    private async Task<BrowserSession> SessionAsync(OutagePortal portal)
    {
        var context = await server.Browser.NewContextAsync(new() { BaseURL = portal.Address.ToString(), ViewportSize = new() { Width = 1280, Height = 720 } });
        context.SetDefaultTimeout(PortalServer.WaitCeilingMs);
        return await BrowserSession.StartAsync(context);
    }

    /// <summary>A portal on a real port over the private cluster, with its log lines (Warning and above) kept.</summary>
    private sealed class OutagePortal(Dictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        private readonly ConcurrentQueue<string> logs = new();

        public Uri Address { get; private set; } = null!;

        public IReadOnlyCollection<string> Logs => logs;

        public static OutagePortal Start(Dictionary<string, string?> settings)
        {
            var portal = new OutagePortal(settings);
            portal.UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            portal.StartServer();
            portal.Address = new Uri(portal.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
            return portal;
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning).AddProvider(new KeptLog(logs)));
        }

        public async Task<List<ExportRequest>> RowsAsync(List<Guid> ids)
        {
            await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
            return await db.ExportRequests.Include(e => e.Events).AsNoTracking().Where(e => ids.Contains(e.Id)).ToListAsync(Cancellation);
        }

        public async Task<int> CountAsync(System.Linq.Expressions.Expression<Func<ExportRequest, bool>> predicate)
        {
            await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
            return await db.ExportRequests.CountAsync(predicate, Cancellation);
        }

        public Task<List<ExportRequest>> WaitUntilAllAsync(List<Guid> ids, ExportStatus status, TimeSpan timeout) =>
            Eventually.ReturnsAsync(
                async () =>
                {
                    try
                    {
                        return await RowsAsync(ids);
                    }
                    catch (Exception ex) when (DatabaseErrors.IsUnavailable(ex))
                    {
                        return [];
                    }
                },
                rows => rows.Count == ids.Count && rows.All(r => r.Status == status),
                $"{ids.Count} exports to be {status}",
                timeout,
                rows => string.Join("; ", rows.Select(r => $"{r.Id}: {r.Status} ({r.LastError})")));
    }

    private sealed class KeptLog(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                {
                    lines.Enqueue(formatter(state, exception));
                }
            }
        }
    }
}
