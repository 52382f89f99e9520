extern alias simulator;

using simulator::DeviceApi.Simulator;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Portal.Security;

namespace Portal.Upstream;

public static class UpstreamExtensions
{
    /// <summary>The typed upstream client with its token handling and resilience (section <c>Upstream</c>).</summary>
    public static IHostApplicationBuilder AddUpstream(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{UpstreamOptions.SectionName}:{nameof(UpstreamOptions.BaseUrl)}"]))
        {
            // No vendor configured: host the simulator and sign in with its credentials unless others are given.
            builder.AddDeviceApiSimulator();
            services.AddOptions<UpstreamOptions>().PostConfigure<IOptions<SimulatorOptions>>((upstream, simulator) =>
            {
                if (upstream.ClientSecret.Length == 0)
                {
                    upstream.ClientId = simulator.Value.ClientId;
                    upstream.ClientSecret = simulator.Value.ClientSecret;
                }
            });
        }
        services.AddSingleton<UpstreamEndpoint>();
        services.AddSingleton<UpstreamTokenProvider>();
        services.AddSingleton<UpstreamMonitor>();
        services.AddSingleton<PlatformHealth>();
        services.AddTransient<UpstreamAuthHandler>();

        // Token calls have no side effect: any failure may be retried. The guard goes first (outermost), so a host
        // that is not the upstream's is refused once, not retried.
        var tokenClient = services.AddHttpClient(UpstreamTokenProvider.HttpClientName);
        GuardUpstream(tokenClient);
        tokenClient.AddResilienceHandler("upstream-token", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
                pipeline.AddTimeout(options.Timeout);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                });
                pipeline.AddTimeout(options.AttemptTimeout);
            });

        // Resilience outside, token inside: every attempt carries a valid token.
        var client = services.AddHttpClient<DeviceStatusClient>();
        GuardUpstream(client);
        client.AddResilienceHandler("upstream", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
                pipeline.AddTimeout(options.Timeout);
                var retry = new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(1, options.MaxGetRetries),
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(
                        options.MaxGetRetries > 0
                        && HttpClientResiliencePredicates.IsTransient(args.Outcome)
                        && ShortRetryAfter(args.Outcome.Result, options.MaxInlineRetryAfter)),
                };
                // An accepted POST starts a paid job upstream: it is never repeated blindly.
                retry.DisableForUnsafeHttpMethods();
                pipeline.AddRetry(retry);
                pipeline.AddTimeout(options.AttemptTimeout);
            });
        client.AddHttpMessageHandler<UpstreamAuthHandler>();

        return builder;
    }

    /// <summary>Maps the embedded simulator under <see cref="UpstreamEndpoint.EmbeddedPath"/> when no vendor is configured.</summary>
    public static IEndpointRouteBuilder MapEmbeddedUpstream(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetRequiredService<UpstreamEndpoint>().IsEmbedded)
        {
            app.MapDeviceApiSimulator(UpstreamEndpoint.EmbeddedPath);
        }
        return app;
    }

    /// <summary>
    /// Confines an upstream client to the upstream's hosts (<see cref="UpstreamEndpoint.AllowedHosts"/>, plus any in
    /// <c>Security:Outbound:{client}:AllowedHosts</c>). Its time cap defaults to a little more than
    /// <c>Upstream:Timeout</c>, which already bounds every attempt, so the guard never cuts a call short first.
    /// </summary>
    private static void GuardUpstream(IHttpClientBuilder client)
    {
        client.Services.AddOptions<OutboundGuardOptions>(client.Name)
            .Configure<IOptions<UpstreamOptions>>((guard, upstream) => guard.Timeout = upstream.Value.Timeout + TimeSpan.FromSeconds(5));
        client.AddOutboundGuard((guard, services) =>
        {
            foreach (var host in services.GetRequiredService<UpstreamEndpoint>().AllowedHosts())
            {
                guard.AllowedHosts.Add(host);
            }
        });
    }

    private static bool ShortRetryAfter(HttpResponseMessage? response, TimeSpan max)
    {
        if (response is null || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
        {
            return true;
        }
        var delta = response.Headers.RetryAfter?.Delta;
        return delta is null || delta <= max;
    }
}
