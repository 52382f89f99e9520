extern alias simulator;

using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Testing;
using Portal.Upstream;
using simulator::DeviceApi.Simulator;

namespace Portal.IntegrationTests;

/// <summary>
/// The portal on the test server, in Development, over a temporary database (a SQLite file, or a PostgreSQL database
/// with <see cref="TestDatabases.IsPostgreSql"/>), its upstream a simulator on a
/// loopback port (real HTTP), fast tracker settings and a header-based test sign-in
/// (<see cref="TestAuthentication.Header"/>).
/// </summary>
public class PortalFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly bool ownsSimulator;
    private readonly bool ownsDatabase;
    private readonly string directory;

    public PortalFactory()
        : this(simulator: null, databasePath: null, settings: null)
    {
    }

    private PortalFactory(SimulatorServer? simulator, string? databasePath, IDictionary<string, string?>? settings)
    {
        ownsSimulator = simulator is null;
        Simulator = simulator!;
        directory = Path.Combine(Path.GetTempPath(), "portal-integration", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        ownsDatabase = databasePath is null;
        DatabasePath = databasePath ?? Path.Combine(directory, "portal.db");
        if (settings is not null)
        {
            foreach (var (key, value) in settings)
            {
                Settings[key] = value;
            }
        }
    }

    /// <summary>The upstream; unset for a portal that is never initialised as a fixture, which embeds its own.</summary>
    public SimulatorServer Simulator { get; private set; }

    /// <summary>The SQLite file, or on PostgreSQL what names the database (<see cref="TestDatabases.Settings"/>).</summary>
    public string DatabasePath { get; }

    /// <summary>Every upstream call the portal's client makes, shared by portals started on one recorder.</summary>
    public UpstreamRecorder Upstream { get; private set; } = new();

    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Upstream:RetryDelay"] = "00:00:00.050",
        ["Upstream:CircuitBreaker:BreakDuration"] = "00:00:01",
        ["Tracking:IdleInterval"] = "00:00:00.200",
        ["Tracking:MinInterval"] = "00:00:00.100",
        ["Tracking:DenseInterval"] = "00:00:00.200",
        ["Tracking:MaxInterval"] = "00:00:00.500",
        ["Tracking:ErrorBackoff"] = "00:00:00.100",
        ["Tracking:ErrorBackoffCap"] = "00:00:01",
        ["Tracking:PollBudgetPerMinute"] = "6000",
        ["Exports:MaxSubmissionsPerMinute"] = "100",
        // Fixtures share users over many tests; the fair-use tests set their own limits.
        ["Exports:DailyAllowancePerUser"] = "10000",
        ["Webhooks:AllowPrivateNetworks"] = "true",
        // Azurite and the tests' SFTP server listen on loopback, which only Development allows.
        ["Destinations:AllowPrivateNetworks"] = "true",
        ["Webhooks:PollInterval"] = "00:00:00.050",
        ["Webhooks:RetryDelay"] = "00:00:00.050",
        ["Webhooks:MaxRetryDelay"] = "00:00:00.200",
        // Tests count what the file host serves; the tests of measuring turn it on.
        ["FileSizes:Enabled"] = "false",
    };

    /// <summary>A portal of its own (and, unless given one, its own simulator) for a test that changes settings.</summary>
    public static async Task<PortalFactory> StartAsync(
        Action<SimulatorOptions>? simulatorOptions = null,
        IDictionary<string, string?>? settings = null,
        SimulatorServer? simulator = null,
        string? databasePath = null,
        UpstreamRecorder? recorder = null)
    {
        var factory = new PortalFactory(simulator, databasePath, settings);
        if (recorder is not null)
        {
            factory.Upstream = recorder;
        }
        factory.simulatorOptions = simulatorOptions;
        await factory.InitializeAsync();
        _ = factory.Server;
        return factory;
    }

    private Action<SimulatorOptions>? simulatorOptions;

    public async ValueTask InitializeAsync()
    {
        if (ownsSimulator)
        {
            Simulator = await StartSimulatorAsync(simulatorOptions);
        }
    }

    /// <summary>A simulator with 3 devices and short delays, then <paramref name="configure"/>.</summary>
    public static Task<SimulatorServer> StartSimulatorAsync(Action<SimulatorOptions>? configure = null) =>
        SimulatorServer.StartAsync(options =>
        {
            options.DeviceCount = 3;
            options.QueueDelay = TimeSpan.FromMilliseconds(100);
            options.MinimumPreparationTime = TimeSpan.FromMilliseconds(300);
            options.PurgeInterval = TimeSpan.FromMilliseconds(100);
            configure?.Invoke(options);
        });

    public ExportOperations Exports() => new(Services.CreateScope().ServiceProvider);

    public async Task<ExportRequest> RowAsync(Guid id)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.ExportRequests.Include(e => e.Files).Include(e => e.Events).AsNoTracking().SingleAsync(e => e.Id == id);
    }

    /// <summary>Waits until the request satisfies <paramref name="condition"/>; fails with its last state after the ceiling.</summary>
    public Task<ExportRequest> WaitForAsync(Guid id, Func<ExportRequest, bool> condition, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(
            () => RowAsync(id),
            condition,
            $"export request {id} to reach the expected state",
            timeout,
            row => $"{row.Status} ({row.UpstreamStatus}; last error: {row.LastError}; last entry: {row.Events.OrderBy(e => e.Id).LastOrDefault()?.Detail})");

    public Task<ExportRequest> WaitForStatusAsync(Guid id, ExportStatus status, TimeSpan? timeout = null) =>
        WaitForAsync(id, row => row.Status == status, timeout);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in TestDatabases.Settings(DatabasePath))
        {
            builder.UseSetting(key, value);
        }
        if (Simulator is not null)
        {
            builder.UseSetting("Upstream:BaseUrl", Simulator.BaseAddress.ToString());
            builder.UseSetting("Upstream:ClientId", Simulator.Options.ClientId);
            builder.UseSetting("Upstream:ClientSecret", Simulator.Options.ClientSecret);
        }
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        builder.ConfigureTestServices(services =>
        {
            // The header sign-in stands in for the cookie only on requests that carry the header, so the real
            // sign-in, challenges and redirects stay as they are for every other request.
            services.AddAuthentication()
                .AddScheme<AuthenticationSchemeOptions, TestAuthentication>(TestAuthentication.SchemeName, null);
            services.PostConfigure<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme, options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.ContainsKey(TestAuthentication.Header) ? TestAuthentication.SchemeName : null);
            var recorder = Upstream;
            services.AddHttpClient<DeviceStatusClient>().AddHttpMessageHandler(() => new UpstreamRecorder.Handler(recorder));
            services.AddHttpClient(UpstreamTokenProvider.HttpClientName).AddHttpMessageHandler(() => new UpstreamRecorder.Handler(recorder));
        });
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (ownsSimulator && Simulator is not null)
        {
            await Simulator.DisposeAsync();
        }
        SqliteConnection.ClearAllPools();
        if (ownsDatabase)
        {
            TestDatabases.Drop(DatabasePath);
        }
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// Signs in whoever the <see cref="Header"/> names: <c>id;name</c>, plus <c>;admin</c> for an admin, <c>;team=X</c> per
/// team and <c>;maintainer=X</c> per maintained team.
/// </summary>
public sealed class TestAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string Header = "X-Test-User";

    public static string For(ExportUser user) =>
        $"{user.Id};{user.Name}{(user.IsAdmin ? ";admin" : "")}"
        + string.Concat(user.Teams.Select(t => $";team={t}"))
        + string.Concat(user.MaintainedTeams.Select(t => $";maintainer={t}"));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var value = Request.Headers[Header].ToString();
        if (value.Length == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var parts = value.Split(';');
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, parts[0]), new("name", parts.ElementAtOrDefault(1) ?? parts[0]) };
        if (parts.Contains("admin"))
        {
            claims.Add(new Claim(ClaimTypes.Role, Context.RequestServices.GetRequiredService<IOptions<global::Portal.Security.PortalAuthorizationOptions>>().Value.AdminRole));
        }
        claims.AddRange(parts.Where(p => p.StartsWith("team=", StringComparison.Ordinal)).Select(p => new Claim(ExportUser.TeamClaim, p["team=".Length..])));
        claims.AddRange(parts.Where(p => p.StartsWith("maintainer=", StringComparison.Ordinal))
            .Select(p => new Claim(ExportUser.MaintainedTeamClaim, p["maintainer=".Length..])));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName, "name", ClaimTypes.Role));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
