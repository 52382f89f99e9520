using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator;

/// <summary>
/// A simulator on a real loopback port, for tests and benchmarks. It reads no configuration files or
/// environment variables: its options are the defaults plus <c>configure</c> plus any <see cref="Reconfigure"/>.
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Action<SimulatorOptions>> _changes;
    private readonly Lock _lock;

    private SimulatorServer(WebApplication app, List<Action<SimulatorOptions>> changes, Lock changesLock, Uri baseAddress)
    {
        _app = app;
        _changes = changes;
        _lock = changesLock;
        BaseAddress = baseAddress;
    }

    /// <summary>The API's base address with the path prefix and a trailing slash, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The token endpoint, <c>{BaseAddress}oauth2/token</c>.</summary>
    public Uri TokenUrl => new(BaseAddress, "oauth2/token");

    public IServiceProvider Services => _app.Services;

    /// <summary>The options in force now.</summary>
    public SimulatorOptions Options => _app.Services.GetRequiredService<IOptionsMonitor<SimulatorOptions>>().CurrentValue;

    /// <summary>
    /// Starts a simulator on <c>127.0.0.1</c> and a free port. <paramref name="timeProvider"/> replaces the
    /// system clock (token, URL and retention expiry, quota windows, preparation delays).
    /// </summary>
    public static async Task<SimulatorServer> StartAsync(
        Action<SimulatorOptions>? configure = null,
        TimeProvider? timeProvider = null,
        string pathPrefix = "",
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        var changes = new List<Action<SimulatorOptions>>();
        var changesLock = new Lock();
        if (configure is not null)
        {
            changes.Add(configure);
        }

        builder.Services.PostConfigure<SimulatorOptions>(options =>
        {
            lock (changesLock)
            {
                foreach (var change in changes)
                {
                    change(options);
                }
            }
        });
        builder.AddDeviceApiSimulator();

        var app = builder.Build();
        app.MapDeviceApiSimulator(pathPrefix);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var prefix = pathPrefix.Trim().Trim('/');
        return new SimulatorServer(app, changes, changesLock, new Uri($"{address.TrimEnd('/')}/{(prefix.Length > 0 ? prefix + "/" : "")}"));
    }

    /// <summary>
    /// Changes options while the simulator runs, such as switching a 503 storm on or off. Settings read per call
    /// (faults, lifetimes, retention, pacing) take effect at once; workers, devices and seed are fixed at start.
    /// </summary>
    public void Reconfigure(Action<SimulatorOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_lock)
        {
            _changes.Add(change);
        }

        _app.Services.GetRequiredService<IOptionsMonitorCache<SimulatorOptions>>().TryRemove(Microsoft.Extensions.Options.Options.DefaultName);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
