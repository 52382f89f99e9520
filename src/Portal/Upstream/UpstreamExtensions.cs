extern alias simulator;

using simulator::DeviceApi.Simulator;
using System.Globalization;
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
        if (EmbeddedSimulatorRule.HostsSimulator(builder))
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
        services.AddSingleton<IUpstreamPause, InMemoryUpstreamPause>();
        services.AddSingleton<PlatformHealth>();
        services.AddTransient<UpstreamAuthHandler>();
        services.AddTransient<UpstreamBudgetHandler>();

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
                    ShouldHandle = args => ValueTask.FromResult(Retriable(args.Outcome)),
                });
                pipeline.AddTimeout(options.AttemptTimeout);
            });
        tokenClient.AddHttpMessageHandler<UpstreamBudgetHandler>();

        // Resilience outside, token inside: every attempt carries a valid token. The budget gate is innermost, so
        // each attempt (retries and the re-send after a 401 included) counts and is refused while paused.
        var client = services.AddHttpClient<DeviceStatusClient>();
        GuardUpstream(client);
        client.AddResilienceHandler("upstream", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<UpstreamOptions>>().Value;
                var time = context.ServiceProvider.GetRequiredService<TimeProvider>();
                pipeline.AddTimeout(options.Timeout);
                var retry = new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(1, options.MaxGetRetries),
                    Delay = options.RetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldRetryAfterHeader = true,
                    // Only a person waiting for the answer (a fresh download link) is worth an inline retry: the
                    // tracker's poll that fails is rescheduled by the polling policy, which knows when a retry can
                    // find something new (PollingPolicy.AfterError).
                    ShouldHandle = args => ValueTask.FromResult(
                        options.MaxGetRetries > 0
                        && UpstreamCallScope.IsUserStarted
                        && Retriable(args.Outcome)
                        && ShortRetryAfter(args.Outcome.Result, options.MaxInlineRetryAfter, time.GetUtcNow())),
                };
                // An accepted POST starts a paid job upstream: it is never repeated blindly.
                retry.DisableForUnsafeHttpMethods();
                pipeline.AddRetry(retry);
                pipeline.AddCircuitBreaker(CircuitBreaker(options.CircuitBreaker, context.ServiceProvider));
                pipeline.AddTimeout(options.AttemptTimeout);
            });
        client.AddHttpMessageHandler<UpstreamAuthHandler>();
        client.AddHttpMessageHandler<UpstreamBudgetHandler>();

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

    /// <summary>
    /// Inside the retry the breaker counts every attempt, a POST's too; it only ever refuses calls, it never sends
    /// one. Opening it pauses every upstream call (token requests included) for its break duration.
    /// </summary>
    private static HttpCircuitBreakerStrategyOptions CircuitBreaker(UpstreamCircuitBreakerOptions settings, IServiceProvider services)
    {
        var pause = services.GetRequiredService<IUpstreamPause>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<UpstreamBudgetHandler>>();
        return new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = settings.FailureRatio,
            MinimumThroughput = settings.MinimumThroughput,
            SamplingDuration = settings.SamplingDuration,
            BreakDuration = settings.BreakDuration,
            ShouldHandle = args => ValueTask.FromResult(Retriable(args.Outcome)),
            OnOpened = async args =>
            {
                var until = time.GetUtcNow() + args.BreakDuration;
                var reason = string.Create(CultureInfo.InvariantCulture,
                    $"the circuit breaker opened: {settings.FailureRatio:P0} or more of the recent calls to the device platform failed, the last with {Failure(args.Outcome)}");
                await pause.PauseUntilAsync(until, reason);
                UpstreamBudgetHandler.LogPaused(logger, until, reason);
            },
        };
    }

    /// <summary>A transient failure; a call the gate did not send is not one (waiting for room is the tracker's job).</summary>
    private static bool Retriable(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is not UpstreamCallNotSentException && HttpClientResiliencePredicates.IsTransient(outcome);

    private static string Failure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => $"{(int)response.StatusCode} {response.ReasonPhrase}",
        { Exception: { } exception } => exception.GetType().Name,
        _ => "no answer",
    };

    private static bool ShortRetryAfter(HttpResponseMessage? response, TimeSpan max, DateTimeOffset now)
    {
        if (response is null || response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable))
        {
            return true;
        }
        var retryAt = UpstreamBudgetHandler.RetryAt(response, now);
        return retryAt is null || retryAt - now <= max;
    }
}
