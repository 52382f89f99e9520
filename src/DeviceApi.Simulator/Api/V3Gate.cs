using System.Globalization;
using DeviceApi.Simulator.Auth;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DeviceApi.Simulator.Api;

/// <summary>
/// What every <c>/v3</c> call passes before its handler, in this order: added latency, the bearer token (401),
/// the client's quota (429) and the overload fault (503). Their <c>Retry-After</c> is in seconds, or an HTTP date
/// with the <see cref="SimulatorFaultOptions.RetryAfterAsHttpDate"/> fault.
/// </summary>
internal sealed class V3Gate(AccessTokens tokens, Quota quota, V3CallLog log, IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
    : IEndpointFilter
{
    private const string ClientIdKey = "DeviceApi.Simulator.ClientId";

    public static string ClientId(HttpContext context) => (string)context.Items[ClientIdKey]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var started = time.GetUtcNow();
        try
        {
            return await PassAsync(invocation, next);
        }
        finally
        {
            var uuid = context.Request.RouteValues.TryGetValue("requestUuid", out var value) ? value as string : null;
            log.Add(new V3Call(context.Request.Method, uuid, started, time.GetUtcNow()));
        }
    }

    private async ValueTask<object?> PassAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var faults = options.CurrentValue.Faults;
        if (faults.AddedLatency > TimeSpan.Zero)
        {
            await Task.Delay(faults.AddedLatency, time, context.RequestAborted);
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "A bearer token is required.");
        }

        var clientId = tokens.Validate(authorization["Bearer ".Length..].Trim());
        if (clientId is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Problems.Of(StatusCodes.Status401Unauthorized, "Unauthorized", "The token is invalid or has expired.");
        }

        if (!quota.TryTake(clientId, out var retryAfter))
        {
            SetRefusalRetryAfter(context, retryAfter, faults.RetryAfterAsHttpDate);
            return Problems.Of(StatusCodes.Status429TooManyRequests, "Too Many Requests", "The client's request quota is used up.");
        }

        if (faults.ServiceUnavailableRate > 0 && Random.Shared.NextDouble() < faults.ServiceUnavailableRate)
        {
            SetRefusalRetryAfter(context, faults.ServiceUnavailableRetryAfterSeconds, faults.RetryAfterAsHttpDate);
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "The service is overloaded; retry later.");
        }

        context.Items[ClientIdKey] = clientId;
        return await next(invocation);
    }

    private void SetRefusalRetryAfter(HttpContext context, int seconds, bool asHttpDate)
    {
        if (!asHttpDate)
        {
            SetRetryAfter(context, seconds);
            return;
        }
        // An HTTP date has whole seconds: round up so a client that honours it never comes back early.
        var at = time.GetUtcNow().AddSeconds(seconds);
        var whole = new DateTimeOffset(at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        context.Response.Headers[HeaderNames.RetryAfter] = (whole < at ? whole.AddSeconds(1) : whole).ToString("R", CultureInfo.InvariantCulture);
    }

    public static void SetRetryAfter(HttpContext context, int seconds) =>
        context.Response.Headers[HeaderNames.RetryAfter] = seconds.ToString(CultureInfo.InvariantCulture);
}
