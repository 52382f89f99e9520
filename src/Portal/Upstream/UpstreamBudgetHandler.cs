using System.Net;
using Microsoft.Extensions.Options;

namespace Portal.Upstream;

/// <summary>
/// The gate of every upstream attempt (innermost, inside the retry: each retry and each token request passes it).
/// While the upstream is paused, or when the budget has no room, the call is not sent. A 429 pauses every call
/// until its <c>Retry-After</c> (seconds or an HTTP date), or for <see cref="UpstreamOptions.PauseWithoutRetryAfter"/>.
/// </summary>
internal sealed partial class UpstreamBudgetHandler(
    IUpstreamBudget budget,
    IUpstreamPause pause,
    IOptions<UpstreamOptions> options,
    TimeProvider time,
    ILogger<UpstreamBudgetHandler> logger) : DelegatingHandler
{
    public const string TooManyRequests = "the device platform answered 429 Too Many Requests";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (await pause.CurrentAsync(now, cancellationToken) is { } paused)
        {
            throw new UpstreamCallNotSentException($"calls to the device platform are paused until {paused.Until:O} ({paused.Reason}).", paused.Until);
        }
        if (UpstreamCallScope.IsUserStarted)
        {
            if (!await budget.TryTakeForUserAsync(now, cancellationToken))
            {
                throw new UpstreamCallNotSentException(
                    $"the {budget.UserLimit} calls a minute that users may start are used up; the rest of the budget is kept for following exports.",
                    now + UpstreamBudgetUse.PaceWindow);
            }
        }
        else if (!await budget.TryTakeAsync(now, cancellationToken))
        {
            var free = (await budget.ReadAsync(now, cancellationToken)).NextFreeAt;
            throw new UpstreamCallNotSentException($"the budget of {budget.Limit} calls to the device platform per minute is used up until {free:O}.", free);
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            now = time.GetUtcNow();
            var until = RetryAt(response, now) ?? now + options.Value.PauseWithoutRetryAfter;
            await pause.PauseUntilAsync(until, TooManyRequests);
            LogPaused(logger, until, TooManyRequests);
        }
        return response;
    }

    /// <summary>When a <c>Retry-After</c> (seconds or an HTTP date) says the next call is welcome; null without one.</summary>
    public static DateTimeOffset? RetryAt(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return now + (delta < TimeSpan.Zero ? TimeSpan.Zero : delta);
        }
        if (header?.Date is { } date)
        {
            return date < now ? now : date;
        }
        return null;
    }

    [LoggerMessage(LogLevel.Warning, "Every upstream call is paused until {Until:O}: {Reason}")]
    internal static partial void LogPaused(ILogger logger, DateTimeOffset until, string reason);
}
