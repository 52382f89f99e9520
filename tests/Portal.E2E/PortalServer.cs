extern alias simulator;

using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Portal.Tracking;
using simulator::DeviceApi.Simulator;

// One thread per collection: a test that waits holds its thread, so with fewer the last collection would start only
// after another ended.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]

namespace Portal.E2E;

/// <summary>
/// The portal on a real Kestrel port with its embedded simulator, a fresh SQLite file, and one headless
/// Debian Chromium; shared by the browser tests of one collection (they run one after another; the collections run
/// beside each other, each with a server of its own).
/// </summary>
public sealed class PortalServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("portal-e2e-").FullName;
    private readonly List<Action<SimulatorOptions>> _simulatorChanges = [];
    private readonly Lock _changesLock = new();
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Every span the portal finished, as an OpenTelemetry exporter would receive it.</summary>
    public FinishedSpans Spans { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>
    /// The one ceiling of every browser wait (actions, navigations, expectations): generous, since on a loaded
    /// machine a wait only takes longer, and a wait for a condition ends as soon as it holds.
    /// </summary>
    public const int WaitCeilingMs = 45_000;

    public static string ArtifactsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "artifacts");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        // UseSetting, not an added configuration source: the portal reads some settings (the database) while it is
        // built, before sources added here would apply.
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["ConnectionStrings:Portal"] = $"Data Source={Path.Combine(_dataDirectory, "portal.db")}",
            ["Upstream:BaseUrl"] = "",
            // Quick enough for a browser test, slow enough that every state is on screen for a while.
            ["Simulator:DeviceCount"] = "20",
            ["Simulator:QueueDelay"] = "00:00:01.500",
            ["Simulator:MinimumPreparationTime"] = "00:00:03",
            ["Simulator:StoragePath"] = Path.Combine(_dataDirectory, "upstream"),
            ["Tracking:IdleInterval"] = "00:00:00.250",
            ["Tracking:MinInterval"] = "00:00:00.250",
            ["Tracking:DenseInterval"] = "00:00:00.500",
            ["Tracking:MaxInterval"] = "00:00:01",
            // Looks at least once a second before the expected completion, so the 3 s preparation is seen.
            ["Tracking:MaxIntervalBeforeExpected"] = "00:00:01",
            ["Tracking:ErrorBackoff"] = "00:00:00.500",
            ["Tracking:ErrorBackoffCap"] = "00:00:01",
            // A request held open stays open however long a loaded machine takes to load the pages that act on it; the
            // scenario that waits for the time-out shortens it (StopWaitingAfter).
            ["Tracking:MaxOpenDuration"] = "00:10:00",
            // An outage opens the circuit: a short break keeps the recovery within the scenario's wait.
            ["Upstream:CircuitBreaker:BreakDuration"] = "00:00:01",
            ["Exports:MaxSubmissionsPerMinute"] = "1000",
            // The scenarios share a few users over many exports and pages; the limits have tests of their own.
            ["Exports:DailyAllowancePerUser"] = "100000",
            ["RateLimits:ApiPerWindow"] = "100000",
            ["RateLimits:FilesPerWindow"] = "100000",
            // The tests' webhook receivers listen on loopback, which only Development allows.
            ["Webhooks:AllowPrivateNetworks"] = "true",
            // Azurite and the tests' SFTP server listen on loopback too.
            ["Destinations:AllowPrivateNetworks"] = "true",
            // An every-minute schedule's run is created within a second of its minute.
            ["Schedules:CheckInterval"] = "00:00:01",
            ["Schedules:MinimumInterval"] = "00:01:00",
        })
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans)));
        builder.ConfigureServices(services => services.PostConfigure<SimulatorOptions>(options =>
        {
            lock (_changesLock)
            {
                foreach (var change in _simulatorChanges)
                {
                    change(options);
                }
            }
        }));
    }

    /// <summary>Changes the embedded simulator's settings (fault switches) while the portal runs.</summary>
    public void ReconfigureSimulator(Action<SimulatorOptions> change)
    {
        lock (_changesLock)
        {
            _simulatorChanges.Add(change);
        }
        Services.GetRequiredService<IOptionsMonitorCache<SimulatorOptions>>().TryRemove(Options.DefaultName);
    }

    /// <summary>
    /// Sets <c>Tracking:MaxOpenDuration</c> while the portal runs (the tracker reads it on every look at a request) and
    /// returns the value it replaced, for the scenario to put back.
    /// </summary>
    public TimeSpan StopWaitingAfter(TimeSpan maxOpenDuration)
    {
        var tracking = Services.GetRequiredService<IOptions<TrackerOptions>>().Value;
        var before = tracking.MaxOpenDuration;
        tracking.MaxOpenDuration = maxOpenDuration;
        return before;
    }

    /// <summary>Back to the fault-free simulator of the fixture.</summary>
    public void ResetSimulator()
    {
        lock (_changesLock)
        {
            _simulatorChanges.Clear();
        }
        Services.GetRequiredService<IOptionsMonitorCache<SimulatorOptions>>().TryRemove(Options.DefaultName);
    }

    public async ValueTask InitializeAsync()
    {
        UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        BaseAddress = new Uri(addresses.Addresses.First());

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium",
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
        Directory.CreateDirectory(ArtifactsDirectory);
        SetDefaultExpectTimeout(WaitCeilingMs);
    }

    /// <summary>A fresh browser context (its own cookies) with console errors recorded.</summary>
    public async Task<BrowserSession> NewSessionAsync(bool darkMode = false, int width = 1280, int height = 860)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseAddress.ToString(),
            ColorScheme = darkMode ? ColorScheme.Dark : ColorScheme.Light,
            ViewportSize = new() { Width = width, Height = height },
            AcceptDownloads = true,
        });
        context.SetDefaultTimeout(WaitCeilingMs);
        return await BrowserSession.StartAsync(context);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the OS eventually.
        }
    }
}

/// <summary>The in-memory exporter's collection, safe to read while the portal adds to it.</summary>
public sealed class FinishedSpans : System.Collections.ObjectModel.Collection<System.Diagnostics.Activity>
{
    private readonly Lock _lock = new();

    public IReadOnlyList<System.Diagnostics.Activity> Snapshot()
    {
        lock (_lock)
        {
            return [.. Items];
        }
    }

    protected override void InsertItem(int index, System.Diagnostics.Activity item)
    {
        lock (_lock)
        {
            base.InsertItem(index, item);
        }
    }
}

// Three collections, each with its own portal, database and browser, run beside each other; the tests of one
// collection run one after another. The split balances their durations (five and a half minutes of tests each on a
// quiet 2-core machine, where the three together keep both cores busy): A holds the page-quality scans and the
// scale-out test, B and C the rest. A fourth runs beside them: the database outages, which mostly wait for a private
// PostgreSQL to come back and so take little from the others.

[CollectionDefinition(Name)]
public sealed class BrowserTests : ICollectionFixture<PortalServer>
{
    public const string Name = "Browser A";
}

[CollectionDefinition(Name)]
public sealed class BrowserTestsB : ICollectionFixture<PortalServer>
{
    public const string Name = "Browser B";
}

[CollectionDefinition(Name)]
public sealed class BrowserTestsC : ICollectionFixture<PortalServer>
{
    public const string Name = "Browser C";
}

[CollectionDefinition(Name)]
public sealed class EngineOutageTests : ICollectionFixture<PortalServer>
{
    public const string Name = "Engine outages";
}
