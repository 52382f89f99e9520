using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using DeviceApi.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portal.Benchmarks;

/// <summary>
/// The vendor's simulator as a Kestrel host of its own on loopback, with a counter in front of its submit endpoint:
/// every <c>POST /v3/devices/status</c> is counted by the time range in its body, and separately when it was answered
/// 202 (a job started, which the vendor bills). The faults benchmark gives each export its own time range, so two
/// accepted POSTs for one range are one export started twice upstream.
/// </summary>
internal sealed class FaultsSimulator : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<(long From, long To), int> posts;
    private readonly ConcurrentDictionary<(long From, long To), int> jobs;

    private FaultsSimulator(WebApplication app, ConcurrentDictionary<(long, long), int> posts, ConcurrentDictionary<(long, long), int> jobs, Uri baseAddress)
    {
        this.app = app;
        this.posts = posts;
        this.jobs = jobs;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public const string ClientId = "portal";

    public const string ClientSecret = "faults-secret";

    /// <summary>POSTs received per time range (UTC ticks of its bounds), whatever the answer.</summary>
    public IReadOnlyDictionary<(long From, long To), int> Posts => posts;

    /// <summary>POSTs answered 202 per time range: jobs started.</summary>
    public IReadOnlyDictionary<(long From, long To), int> Jobs => jobs;

    public static async Task<FaultsSimulator> StartAsync(TimeSpan queueDelay, TimeSpan preparation, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.PostConfigure<SimulatorOptions>(options =>
        {
            options.ClientId = ClientId;
            options.ClientSecret = ClientSecret;
            // Three devices: a one-hour export is 180 rows, so preparing files costs nothing and the times below rule.
            options.DeviceCount = 3;
            // A worker holds a job for its whole preparation: 32 keep up with several submissions a second.
            options.Workers = 32;
            options.QueueDelay = queueDelay;
            options.MinimumPreparationTime = preparation;
        });
        builder.AddDeviceApiSimulator();

        var posts = new ConcurrentDictionary<(long, long), int>();
        var jobs = new ConcurrentDictionary<(long, long), int>();
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Path.Value?.TrimEnd('/').EndsWith("/v3/devices/status", StringComparison.Ordinal) != true)
            {
                await next(context);
                return;
            }
            context.Request.EnableBuffering();
            var range = await ReadRangeAsync(context.Request, context.RequestAborted);
            context.Request.Body.Position = 0;
            await next(context);
            if (range is { } key)
            {
                posts.AddOrUpdate(key, 1, (_, n) => n + 1);
                if (context.Response.StatusCode == StatusCodes.Status202Accepted)
                {
                    jobs.AddOrUpdate(key, 1, (_, n) => n + 1);
                }
            }
        });
        app.MapDeviceApiSimulator();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new FaultsSimulator(app, posts, jobs, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>The key of a time range, as both the simulator's counter and the portal's rows are read.</summary>
    public static (long From, long To) Key(DateTimeOffset from, DateTimeOffset to) => (from.UtcTicks, to.UtcTicks);

    private static async Task<(long, long)?> ReadRangeAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            var range = document.RootElement.GetProperty("timerange");
            return Key(
                DateTimeOffset.Parse(range.GetProperty("from").GetString()!, CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(range.GetProperty("to").GetString()!, CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
