using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Polly.CircuitBreaker;
using Polly.Timeout;
using Portal.Exports;

namespace Portal.Upstream;

/// <summary>
/// The one place that speaks the upstream contract. Answers are values, not exceptions: every outcome the
/// tracker and the service must handle is a case of <see cref="SubmitResult"/> or <see cref="StatusResult"/>.
/// </summary>
// One room on purpose: the POST and the status GET share the wire format, the retry and held-back rules and the error wording; the answer types below are the contract callers see.
public sealed partial class DeviceStatusClient(
    HttpClient http,
    UpstreamEndpoint endpoint,
    UpstreamMonitor monitor,
    IUpstreamPause pause,
    ExportMetrics metrics,
    TimeProvider time,
    ILogger<DeviceStatusClient> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>
    /// Sends the POST once. Its answer tells apart what was certainly not started upstream (safe to send again) from
    /// what may have been: an accepted POST starts a paid job, and the vendor has no idempotency key.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(TimeRange range, FileFormat format, CancellationToken cancellationToken = default)
    {
        var body = new SubmitBody(new RangeBody(Rfc3339(range.From), Rfc3339(range.To)), format.ApiName());
        using var span = PortalActivity.StartUpstreamCall("upstream.submit");
        var started = time.GetTimestamp();
        try
        {
            using var response = await http.PostAsJsonAsync(endpoint.SubmitUri, body, Json, cancellationToken);
            metrics.UpstreamCall("submit", (int)response.StatusCode, time.GetElapsedTime(started));
            var retryAfter = RetryAfter(response);
            var code = (int)response.StatusCode;

            if (response.IsSuccessStatusCode)
            {
                var accepted = await ReadAsync<SubmitAnswer>(response, cancellationToken);
                var uuid = accepted?.RequestUuid ?? response.Headers.Location?.OriginalString.Split('/').LastOrDefault();
                if (string.IsNullOrWhiteSpace(uuid))
                {
                    return Unknown($"The device platform answered {code} without a request id the portal could read.");
                }
                monitor.RecordSuccess();
                return new SubmitResult.Accepted(uuid);
            }

            if (code is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                or HttpStatusCode.NotFound or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests))
            {
                // The request itself is wrong (400, 422, ...): no job was started, and sending it again cannot help.
                monitor.RecordSuccess();
                var problem = await ReadAsync<ProblemBody>(response, cancellationToken);
                return new SubmitResult.Rejected(problem?.Errors ?? new Dictionary<string, string[]>(), RejectionReason(problem, response.StatusCode));
            }

            var error = await DescribeAsync(response, cancellationToken);
            if (code is >= 500 && response.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                // A 500, 502 or 504 may come from a gateway after the vendor took the job.
                return Unknown(error);
            }
            monitor.RecordError(error, response.StatusCode);
            return new SubmitResult.NotAccepted(error, retryAfter);
        }
        catch (Exception ex) when (IsHeldBack(ex, cancellationToken))
        {
            // Held back before sending (pause, budget or open circuit): certainly not started upstream.
            var wait = await RetryAtAsync(ex) - time.GetUtcNow();
            return new SubmitResult.NotSent(Describe(ex), wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        }
        catch (Exception ex) when (IsTransient(ex, cancellationToken))
        {
            metrics.UpstreamCall("submit", 0, time.GetElapsedTime(started));
            var error = Describe(ex);
            if (WasNotSent(ex))
            {
                monitor.RecordError(error);
                return new SubmitResult.NotAccepted(error, null);
            }
            return Unknown(error);
        }
    }

    /// <summary>True when the request certainly never reached the upstream: no connection, no name, no token.</summary>
    internal static bool WasNotSent(Exception ex) => ex switch
    {
        UpstreamAuthenticationException => true,
        HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError } => true,
        _ => false,
    };

    private SubmitResult.Unknown Unknown(string error)
    {
        monitor.RecordError(error);
        LogOutcomeUnknown(logger, error);
        return new SubmitResult.Unknown(error);
    }

    public async Task<StatusResult> GetStatusAsync(string requestUuid, CancellationToken cancellationToken = default)
    {
        using var span = PortalActivity.StartUpstreamCall("upstream.status");
        var started = time.GetTimestamp();
        try
        {
            using var response = await http.GetAsync(endpoint.StatusUri(requestUuid), cancellationToken);
            metrics.UpstreamCall("status", (int)response.StatusCode, time.GetElapsedTime(started));
            var retryAfter = RetryAfter(response);

            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                monitor.RecordSuccess();
                return new StatusResult.NotFound();
            }

            if (!response.IsSuccessStatusCode)
            {
                var error = await DescribeAsync(response, cancellationToken);
                monitor.RecordError(error, response.StatusCode);
                return new StatusResult.Transient(error, retryAfter);
            }

            var answer = await ReadAsync<StatusAnswer>(response, cancellationToken);
            if (answer?.Status is null)
            {
                const string unreadable = "The device platform answered a status request without a status.";
                monitor.RecordError(unreadable);
                return new StatusResult.Transient(unreadable, retryAfter);
            }

            monitor.RecordSuccess();
            return new StatusResult.Found(ToStatus(requestUuid, answer), retryAfter);
        }
        catch (Exception ex) when (IsHeldBack(ex, cancellationToken))
        {
            // Held back before sending (pause or budget): not an upstream error, and the row waits until then.
            var wait = await RetryAtAsync(ex) - time.GetUtcNow();
            return new StatusResult.NotSent(Describe(ex), wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
        }
        catch (Exception ex) when (IsTransient(ex, cancellationToken))
        {
            metrics.UpstreamCall("status", 0, time.GetElapsedTime(started));
            var error = Describe(ex);
            monitor.RecordError(error);
            return new StatusResult.Transient(error, null);
        }
    }

    private static UpstreamStatus ToStatus(string requestUuid, StatusAnswer answer)
    {
        var state = answer.Status switch
        {
            "Submitted" => UpstreamState.Submitted,
            "In Progress" => UpstreamState.InProgress,
            "Completed" => UpstreamState.Completed,
            _ => UpstreamState.Unknown,
        };
        var urls = (answer.DownloadUrls ?? [])
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null)
            .OfType<Uri>()
            .ToList();
        return new UpstreamStatus(
            answer.RequestUuid ?? requestUuid,
            answer.Status!,
            state,
            answer.SubmittedAt,
            answer.UpdatedAt,
            answer.CompletedAt,
            answer.RowCount,
            urls,
            answer.UrlsExpireAt);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, (int)response.StatusCode, ex.Message);
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var problem = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true
            ? await ReadAsync<ProblemBody>(response, cancellationToken)
            : null;
        var code = (int)response.StatusCode;
        var text = problem?.Title ?? response.ReasonPhrase ?? "error";
        var error = $"The device platform answered {code} ({text}).";
        LogUpstreamError(logger, code, text);
        return error;
    }

    private string Describe(Exception ex)
    {
        var text = ex switch
        {
            UpstreamAuthenticationException or UpstreamCallNotSentException => ex.Message,
            BrokenCircuitException => "The call to the device platform was not sent: the circuit breaker is open.",
            TimeoutRejectedException or TaskCanceledException or TimeoutException => "The device platform did not answer in time.",
            HttpRequestException { HttpRequestError: var kind } => $"The device platform could not be reached ({kind}).",
            _ => $"The call to the device platform failed ({ex.GetType().Name}).",
        };
        LogUpstreamFailure(logger, ex.GetType().Name, text);
        return text;
    }

    internal static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && ex is HttpRequestException or TimeoutRejectedException or TaskCanceledException or TimeoutException or UpstreamAuthenticationException
            or IOException or UpstreamCallNotSentException or BrokenCircuitException;

    /// <summary>A call that never reached the upstream: refused by the budget gate (paused or over budget) or by the open circuit breaker.</summary>
    internal static bool IsHeldBack(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex is UpstreamCallNotSentException or BrokenCircuitException;

    /// <summary>When a call that was held back may be tried again.</summary>
    private async Task<DateTimeOffset> RetryAtAsync(Exception heldBack) => heldBack is UpstreamCallNotSentException notSent
        ? notSent.RetryAt
        : (await pause.CurrentAsync(time.GetUtcNow()))?.Until ?? time.GetUtcNow();

    private static string RejectionReason(ProblemBody? problem, HttpStatusCode status)
    {
        if (problem?.Errors is { Count: > 0 } errors)
        {
            return "The device platform rejected the export: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        }
        return $"The device platform rejected the export: {problem?.Detail ?? problem?.Title ?? ((int)status).ToString(CultureInfo.InvariantCulture)}";
    }

    private static string Rfc3339(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private sealed record RangeBody(string From, string To);

    private sealed record SubmitBody(RangeBody Timerange, string Fileformat);

    private sealed record SubmitAnswer(string? RequestUuid, string? Status);

    private sealed record StatusAnswer(
        string? RequestUuid,
        string? Status,
        DateTimeOffset? SubmittedAt,
        DateTimeOffset? UpdatedAt,
        DateTimeOffset? CompletedAt,
        long? RowCount,
        List<string>? DownloadUrls,
        DateTimeOffset? UrlsExpireAt);

    private sealed record ProblemBody(string? Title, string? Detail, int? Status, Dictionary<string, string[]>? Errors);

    [LoggerMessage(LogLevel.Warning, "Upstream answered {StatusCode} ({Title})")]
    private static partial void LogUpstreamError(ILogger logger, int statusCode, string title);

    [LoggerMessage(LogLevel.Warning, "Upstream call failed with {ExceptionType}: {Error}")]
    private static partial void LogUpstreamFailure(ILogger logger, string exceptionType, string error);

    [LoggerMessage(LogLevel.Warning, "A POST upstream may have started a job that the upstream did not confirm: {Error}")]
    private static partial void LogOutcomeUnknown(ILogger logger, string error);

    [LoggerMessage(LogLevel.Warning, "Upstream answered {StatusCode} with a body the portal cannot read: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, int statusCode, string reason);
}

public enum UpstreamState
{
    Submitted,
    InProgress,
    Completed,
    /// <summary>A status string the contract does not name; kept verbatim in <see cref="UpstreamStatus.RawStatus"/>.</summary>
    Unknown,
}

public sealed record UpstreamStatus(
    string RequestUuid,
    string RawStatus,
    UpstreamState State,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? CompletedAt,
    long? RowCount,
    IReadOnlyList<Uri> DownloadUrls,
    DateTimeOffset? UrlsExpireAt);

public abstract record SubmitResult
{
    private SubmitResult() { }

    public sealed record Accepted(string RequestUuid) : SubmitResult;

    /// <summary>The upstream refused the request itself (400, 422): nothing started, and sending it again cannot help.</summary>
    public sealed record Rejected(IReadOnlyDictionary<string, string[]> Errors, string Reason) : SubmitResult;

    /// <summary>
    /// Certainly not started upstream (no connection, token refused, 401/403, 429, 503): safe to send again later.
    /// </summary>
    public sealed record NotAccepted(string Error, TimeSpan? RetryAfter) : SubmitResult;

    /// <summary>Held back by the portal's own gate (budget, pause, open circuit) before it was sent: not an attempt.</summary>
    public sealed record NotSent(string Reason, TimeSpan RetryAfter) : SubmitResult;

    /// <summary>
    /// Sent, but the outcome is unknown (no answer in time, connection closed before the answer, 500/502/504, an
    /// answer that cannot be read): the upstream may have started a job. Never sent again without a person.
    /// </summary>
    public sealed record Unknown(string Error) : SubmitResult;
}

public abstract record StatusResult
{
    private StatusResult() { }

    public sealed record Found(UpstreamStatus Status, TimeSpan? RetryAfter) : StatusResult;

    /// <summary>Unknown upstream, or purged.</summary>
    public sealed record NotFound : StatusResult;

    public sealed record Transient(string Error, TimeSpan? RetryAfter) : StatusResult;

    /// <summary>Held back by the portal's own gate (budget, pause, open circuit): nothing was asked, nothing went wrong.</summary>
    public sealed record NotSent(string Reason, TimeSpan RetryAfter) : StatusResult;
}
