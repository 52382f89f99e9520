using DeviceApi.Simulator.Api;
using DeviceApi.Simulator.Auth;
using DeviceApi.Simulator.Downloads;
using DeviceApi.Simulator.Jobs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator;

/// <summary>Hosts the simulated vendor API in any ASP.NET Core app: the portal under a path prefix, or on its own.</summary>
public static class SimulatorExtensions
{
    private const string DownloadsPath = "/files";

    /// <summary>
    /// Registers the simulator: options from section <c>Simulator</c> (validated on start), the job store, the
    /// worker pool and the purge as hosted services. Time comes from the registered <see cref="TimeProvider"/>.
    /// </summary>
    public static IHostApplicationBuilder AddDeviceApiSimulator(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SigningKey>();
        builder.Services.AddSingleton<AccessTokens>();
        builder.Services.AddSingleton<UrlSigner>();
        builder.Services.AddSingleton<DownloadMeter>();
        builder.Services.AddSingleton<Quota>();
        builder.Services.AddSingleton<ResultStorage>();
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddSingleton<V3CallLog>();
        builder.Services.AddHostedService<JobWorkers>();
        builder.Services.AddHostedService<ResultPurger>();
        return builder;
    }

    /// <summary>
    /// Maps <c>{pathPrefix}/oauth2/token</c>, <c>{pathPrefix}/v3/devices/status[/{uuid}]</c> and the downloads
    /// (<c>{pathPrefix}/files/...</c>, or the path of <c>Simulator:DownloadBaseUrl</c> when set).
    /// </summary>
    public static IEndpointRouteBuilder MapDeviceApiSimulator(this IEndpointRouteBuilder app, string pathPrefix = "")
    {
        ArgumentNullException.ThrowIfNull(app);
        pathPrefix = pathPrefix.Trim().TrimEnd('/');
        if (pathPrefix.Length > 0 && pathPrefix[0] != '/')
        {
            pathPrefix = "/" + pathPrefix;
        }

        // The vendor's API is public to its own credentials: the host's sign-in, fallback policy and
        // antiforgery do not apply to it.
        var api = app.MapGroup(pathPrefix).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        api.MapPost("/oauth2/token", TokenEndpoint.HandleAsync);

        var endpoints = new V3Endpoints(pathPrefix + DownloadsPath);
        var v3 = api.MapGroup("/v3/devices/status").AddEndpointFilter<V3Gate>();
        v3.MapPost("", V3Endpoints.SubmitAsync);
        v3.MapGet("/{requestUuid}", endpoints.Status);

        var downloadBase = app.ServiceProvider.GetRequiredService<IOptions<SimulatorOptions>>().Value.DownloadBaseUrl;
        var downloads = string.IsNullOrEmpty(downloadBase)
            ? api.MapGroup(DownloadsPath)
            : app.MapGroup(new Uri(downloadBase).AbsolutePath.TrimEnd('/')).AllowAnonymous().ExcludeFromDescription();
        downloads.MapMethods("/{requestUuid}/{fileName}", [HttpMethods.Get, HttpMethods.Head], DownloadEndpoint.Handle);
        return app;
    }
}
