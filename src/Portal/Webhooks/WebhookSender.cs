using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Webhooks;

/// <summary>
/// Sends due deliveries from the database: claims each with a lease and a fencing token (one conditional
/// <c>UPDATE</c>, so two instances never send one row at once), POSTs it signed, and records the attempt. A failed
/// delivery is retried with a doubling delay until <see cref="WebhookOptions.RetryFor"/> after its first attempt,
/// always with the same message id and body; an endpoint failing for <see cref="WebhookOptions.DisableAfter"/> is
/// disabled and its owner gets a notice.
/// </summary>
// One room on purpose: claiming, sending, retrying and disabling are one delivery's life under one lease and fencing token.
public sealed partial class WebhookSender(
    IDbContextFactory<PortalDbContext> dbFactory,
    IHttpClientFactory httpFactory,
    WebhookSenderSignal signal,
    WebhookSecrets secrets,
    DatabaseOutage outage,
    TimeProvider time,
    IOptions<WebhookOptions> options,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string HttpClientName = "Webhooks";

    private WebhookOptions Settings => options.Value;

    /// <summary>Claims and sends the deliveries due now; returns how many were claimed.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(cancellationToken);
        await Parallel.ForEachAsync(
            claimed,
            new ParallelOptions { MaxDegreeOfParallelism = Settings.MaxParallelDeliveries, CancellationToken = cancellationToken },
            async (claim, token) =>
            {
                try
                {
                    await SendAsync(claim.Id, claim.Token, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException && !outage.Failed(ex, "the webhook sender"))
                {
                    // The lease lapses and another pass tries again.
                    LogSendFailed(logger, claim.Id, ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away (logged once per outage): the lease lapses and a pass tries again after it.
                }
            });
        return claimed.Count;
    }

    private async Task<List<(long Id, long Token)>> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var due = await db.WebhookDeliveries
            .Where(d => d.State == WebhookDeliveryState.Pending && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now))
            .OrderBy(d => d.NextAttemptAt)
            .Select(d => new { d.Id, d.LeaseToken })
            .Take(Settings.MaxParallelDeliveries)
            .ToListAsync(cancellationToken);
        var leaseUntil = now + Settings.LeaseDuration;
        var claimed = new List<(long, long)>(due.Count);
        foreach (var row in due)
        {
            var won = await db.WebhookDeliveries
                .Where(d => d.Id == row.Id && d.LeaseToken == row.LeaseToken && d.State == WebhookDeliveryState.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, d => d.LeaseToken + 1).SetProperty(d => d.LeaseUntil, leaseUntil), cancellationToken);
            if (won == 1)
            {
                claimed.Add((row.Id, row.LeaseToken + 1));
            }
        }
        return claimed;
    }

    private async Task SendAsync(long id, long token, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var delivery = await db.WebhookDeliveries.SingleOrDefaultAsync(d => d.Id == id && d.LeaseToken == token, cancellationToken);
        var endpoint = delivery is null ? null : await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == delivery.EndpointId, cancellationToken);
        if (delivery is null || endpoint is null)
        {
            return;
        }
        if (endpoint.DisabledAt is not null)
        {
            delivery.State = WebhookDeliveryState.Failed;
            delivery.NextAttemptAt = null;
            delivery.LeaseUntil = null;
            delivery.LastError = "Not sent: the endpoint is disabled.";
            await db.SaveChangesAsync(CancellationToken.None);
            return;
        }

        var sentAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var (statusCode, error) = await PostAsync(endpoint, delivery, sentAt, cancellationToken);
        var duration = time.GetElapsedTime(started);
        var now = time.GetUtcNow();

        delivery.Attempts++;
        delivery.FirstAttemptAt ??= sentAt;
        delivery.LastStatusCode = statusCode;
        delivery.LastError = error;
        delivery.LeaseUntil = null;
        var disable = false;
        if (error is null)
        {
            delivery.State = WebhookDeliveryState.Delivered;
            delivery.NextAttemptAt = null;
            endpoint.FailingSince = null;
        }
        else
        {
            // The last retry falls at the end of the window, so a receiver down all along has failed for all of it.
            var giveUpAt = delivery.FirstAttemptAt.Value + Settings.RetryFor;
            var next = now + RetryDelay(delivery.Attempts);
            delivery.NextAttemptAt = now >= giveUpAt ? null : next < giveUpAt ? next : giveUpAt;
            delivery.State = delivery.NextAttemptAt is null ? WebhookDeliveryState.Failed : WebhookDeliveryState.Pending;
            endpoint.FailingSince ??= sentAt;
            disable = now - endpoint.FailingSince.Value >= Settings.DisableAfter;
        }
        db.WebhookAttempts.Add(new WebhookAttempt
        {
            DeliveryId = delivery.Id,
            EndpointId = endpoint.Id,
            At = sentAt,
            EventType = delivery.EventType,
            MessageId = delivery.MessageId,
            StatusCode = statusCode,
            DurationMs = (int)Math.Min(int.MaxValue, duration.TotalMilliseconds),
            Error = error,
            NextAttemptAt = delivery.NextAttemptAt,
        });

        // The POST went out: while the database is away its record is kept and stored once it is back (the host stopping
        // ends the wait), rather than left to the lease, whose lapse would send it again.
        var pause = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                if (!await RecordAsync(db, delivery, endpoint, disable, error, now))
                {
                    return;
                }
                break;
            }
            catch (Exception ex) when (outage.Failed(ex, "the webhook sender") && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
        if (delivery.NextAttemptAt is { } nextAttempt)
        {
            LogRetryScheduled(logger, delivery.MessageId, error!, nextAttempt);
        }
    }

    /// <summary>Stores the attempt (and disables the endpoint if due) in one transaction; false when another sender took the row.</summary>
    private async Task<bool> RecordAsync(PortalDbContext db, WebhookDelivery delivery, WebhookEndpoint endpoint, bool disable, string? error, DateTimeOffset now)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        try
        {
            // Changes are accepted only after the commit: a commit that fails leaves them to be saved again.
            await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            // The lease lapsed during the POST and another instance claimed the row: its record wins.
            LogLeaseLost(logger, delivery.Id);
            return false;
        }
        if (disable)
        {
            await DisableAsync(db, endpoint, error!, now);
        }
        await transaction.CommitAsync(CancellationToken.None);
        db.ChangeTracker.AcceptAllChanges();
        return true;
    }

    private async Task<(int? StatusCode, string? Error)> PostAsync(WebhookEndpoint endpoint, WebhookDelivery delivery, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(WebhookSigning.IdHeader, delivery.MessageId);
        request.Headers.TryAddWithoutValidation(WebhookSigning.TimestampHeader, WebhookSigning.UnixSeconds(sentAt));
        request.Headers.TryAddWithoutValidation(WebhookSigning.SignatureHeader,
            WebhookSigning.Sign(delivery.MessageId, sentAt, delivery.Body, secrets.SecretsAt(endpoint, sentAt)));
        using var timeout = new CancellationTokenSource(Settings.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            // Only the status code counts: the body is never read, so its size cannot matter.
            using var response = await httpFactory.CreateClient(HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var code = (int)response.StatusCode;
            return code switch
            {
                >= 200 and < 300 => (code, null),
                >= 300 and < 400 => (code, $"HTTP {code}: redirects are not followed; register the final URL."),
                _ => (code, $"HTTP {code} {response.ReasonPhrase}".TrimEnd()),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"No answer within {Settings.Timeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException ex)
        {
            var refused = ex as WebhookAddressRefusedException ?? ex.InnerException as WebhookAddressRefusedException;
            return (null, Truncate(refused?.Message ?? ConnectionError(ex)));
        }
    }

    private static string ConnectionError(HttpRequestException ex) => ex.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "The host could not be found.",
        HttpRequestError.ConnectionError => "The connection was refused or could not be made.",
        HttpRequestError.SecureConnectionError => "The TLS handshake failed.",
        _ => ex.Message,
    };

    private static string Truncate(string text) => text.Length <= 500 ? text : text[..497] + "...";

    private TimeSpan RetryDelay(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(Settings.MaxRetryDelay.Ticks, Settings.RetryDelay.Ticks * factor));
    }

    /// <summary>Disables the endpoint, gives up its waiting deliveries and tells the owner; once, whoever gets here first.</summary>
    private async Task DisableAsync(PortalDbContext db, WebhookEndpoint endpoint, string lastError, DateTimeOffset now)
    {
        var reason = Truncate($"Every delivery failed for {Formatting(Settings.DisableAfter)}; the last one: {lastError}");
        var disabled = await db.WebhookEndpoints
            .Where(e => e.Id == endpoint.Id && e.DisabledAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.DisabledAt, now).SetProperty(e => e.DisabledReason, reason), CancellationToken.None);
        if (disabled != 1)
        {
            return;
        }
        await db.WebhookDeliveries
            .Where(d => d.EndpointId == endpoint.Id && d.State == WebhookDeliveryState.Pending)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.State, WebhookDeliveryState.Failed)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, "Not sent: the endpoint was disabled."), CancellationToken.None);
        LogDisabled(logger, endpoint.Id, reason);

        // The bell lists notices of an export; the latest export this endpoint was told about carries it.
        var exportId = await db.WebhookDeliveries
            .Where(d => d.EndpointId == endpoint.Id && d.ExportId != null)
            .OrderByDescending(d => d.Id)
            .Select(d => d.ExportId)
            .FirstOrDefaultAsync(CancellationToken.None);
        var export = exportId is { } eid
            ? await db.ExportRequests.IgnoreQueryFilters().Where(e => e.Id == eid).Select(e => new { e.Id, e.Status }).SingleOrDefaultAsync(CancellationToken.None)
            : null;
        if (export is null)
        {
            return;
        }
        var host = Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var uri) ? uri.Authority : endpoint.Url;
        db.ExportNotices.Add(new ExportNoticeEntry
        {
            ExportId = export.Id,
            OwnerId = endpoint.OwnerId,
            Status = export.Status,
            At = now,
            Text = Truncate($"Your webhook to {host} was disabled: its deliveries failed for {Formatting(Settings.DisableAfter)}. Fix the receiver, then register it again under Webhooks."),
        });
        await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, CancellationToken.None);
    }

    private static string Formatting(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.#} s";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var secretsProtected = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!secretsProtected)
                {
                    // Secrets stored before they were encrypted: encrypted once per start (sending reads both forms).
                    var changed = await secrets.ProtectStoredAsync(stoppingToken);
                    secretsProtected = true;
                    if (changed > 0)
                    {
                        LogSecretsProtected(logger, changed);
                    }
                }
                var mark = outage.Mark;
                while (await SendDueAsync(stoppingToken) == Settings.MaxParallelDeliveries)
                {
                }
                outage.Succeeded("the webhook sender", mark);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!outage.Failed(ex, "the webhook sender"))
                {
                    LogPassFailed(logger, ex);
                }
            }
            try
            {
                await signal.WaitAsync(Settings.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Encrypted {Count} webhook signing secrets stored in clear")]
    private static partial void LogSecretsProtected(ILogger logger, int count);

    [LoggerMessage(LogLevel.Error, "Sending webhook delivery {DeliveryId} failed; its lease lapses and it is tried again")]
    private static partial void LogSendFailed(ILogger logger, long deliveryId, Exception ex);

    [LoggerMessage(LogLevel.Error, "A webhook sender pass failed; retrying after the poll interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Webhook delivery {DeliveryId} was claimed by another sender while it was sent; its record is kept")]
    private static partial void LogLeaseLost(ILogger logger, long deliveryId);

    [LoggerMessage(LogLevel.Information, "Webhook {MessageId} failed ({Error}); next attempt at {NextAttemptAt:O}")]
    private static partial void LogRetryScheduled(ILogger logger, string messageId, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(LogLevel.Warning, "Webhook endpoint {EndpointId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, Guid endpointId, string reason);
}
