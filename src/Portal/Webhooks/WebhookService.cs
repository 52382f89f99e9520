using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Webhooks;

/// <summary>
/// A user's webhook endpoints. Every call is scoped to the owner, admins included (an endpoint holds its owner's
/// secret): another user's endpoint is "not found", and the attempt is audited. Registering and testing hold the
/// user's gate (shared by every instance with Redis), so parallel calls cannot pass the endpoint limit or the test interval.
/// </summary>
public sealed class WebhookService(
    IDbContextFactory<PortalDbContext> dbFactory,
    WebhookAddressGuard guard,
    WebhookSenderSignal signal,
    WebhookSecrets secrets,
    ISubmissionGate gate,
    AuditLog audit,
    TimeProvider time,
    IOptions<WebhookOptions> options) : IWebhookHealth
{
    private const int LogSize = 50;

    public async Task<WebhookRegistration> RegisterAsync(ExportUser user, string? url, IReadOnlyCollection<string>? events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var errors = new Dictionary<string, string[]>();
        if (await guard.CheckAsync(url, cancellationToken) is { } urlError)
        {
            errors["url"] = [urlError];
        }
        var wanted = (events ?? []).Select(e => e?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        if (EventsError(wanted) is { } eventsError)
        {
            errors["events"] = [eventsError];
        }
        await using var held = await gate.EnterAsync(GateKey(user.Id), cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.WebhookEndpoints.CountAsync(e => e.OwnerId == user.Id, cancellationToken) >= options.Value.MaxEndpointsPerUser)
        {
            errors["url"] = [.. errors.GetValueOrDefault("url") ?? [], $"You have {options.Value.MaxEndpointsPerUser} webhooks already; delete one first."];
        }
        if (errors.Count > 0)
        {
            return new WebhookRegistration.Invalid(errors);
        }
        var secret = WebhookSigning.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.CreateVersion7(),
            OwnerId = user.Id,
            Url = url!.Trim(),
            Events = EventsText(wanted),
            Secret = secrets.Protect(secret),
            CreatedAt = time.GetUtcNow(),
        };
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookRegistration.Created(Info(endpoint), secret);
    }

    /// <summary>Changes which events an endpoint receives; deliveries already planned are sent as planned.</summary>
    public async Task<WebhookUpdate> UpdateEventsAsync(ExportUser user, Guid id, IReadOnlyCollection<string>? events, CancellationToken cancellationToken)
    {
        var wanted = (events ?? []).Select(e => e?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "edit webhook", cancellationToken);
        if (endpoint is null)
        {
            return new WebhookUpdate.NotFound();
        }
        if (EventsError(wanted) is { } error)
        {
            return new WebhookUpdate.Invalid(new Dictionary<string, string[]> { ["events"] = [error] });
        }
        endpoint.Events = EventsText(wanted);
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookUpdate.Updated(Info(endpoint));
    }

    /// <summary>
    /// Queues the event of one delivery again for its endpoint: a new delivery with the same body and its own message
    /// id (receivers drop a message id they have seen), sent and retried by the sender like any other.
    /// </summary>
    public async Task<WebhookResend> ResendAsync(ExportUser user, Guid id, long deliveryId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "resend a delivery of webhook", cancellationToken);
        var original = endpoint is null
            ? null
            : await db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId && d.EndpointId == id, cancellationToken);
        if (endpoint is null || original is null)
        {
            return new WebhookResend.NotFound();
        }
        if (endpoint.DisabledAt is not null)
        {
            return new WebhookResend.Disabled();
        }
        if (original.State == WebhookDeliveryState.Pending)
        {
            return new WebhookResend.StillPending();
        }
        var now = time.GetUtcNow();
        var copy = new WebhookDelivery
        {
            EndpointId = endpoint.Id,
            MessageId = $"msg_resend_{Guid.CreateVersion7():N}",
            EventType = original.EventType,
            ExportId = original.ExportId,
            Body = original.Body,
            CreatedAt = now,
            State = WebhookDeliveryState.Pending,
            NextAttemptAt = now,
        };
        db.WebhookDeliveries.Add(copy);
        await db.SaveChangesAsync(cancellationToken);
        signal.Wake();
        return new WebhookResend.Queued(new WebhookDeliveryInfo(copy.Id, copy.MessageId, copy.EventType, copy.ExportId, copy.State, copy.Attempts,
            copy.CreatedAt, copy.LastStatusCode, copy.LastError, copy.NextAttemptAt));
    }

    public async Task<IReadOnlyList<WebhookEndpointInfo>> ListAsync(ExportUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoints = await db.WebhookEndpoints.AsNoTracking().Where(e => e.OwnerId == user.Id).ToListAsync(cancellationToken);
        return [.. endpoints.OrderBy(e => e.CreatedAt).Select(Info)];
    }

    public async Task<WebhookEndpointDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "read webhook", cancellationToken);
        if (endpoint is null)
        {
            return null;
        }
        var deliveries = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.EndpointId == id)
            .OrderByDescending(d => d.Id)
            .Take(LogSize)
            .Select(d => new WebhookDeliveryInfo(d.Id, d.MessageId, d.EventType, d.ExportId, d.State, d.Attempts, d.CreatedAt, d.LastStatusCode, d.LastError, d.NextAttemptAt))
            .ToListAsync(cancellationToken);
        var log = await db.WebhookAttempts.AsNoTracking()
            .Where(a => a.EndpointId == id)
            .OrderByDescending(a => a.Id)
            .Take(LogSize)
            .Select(a => new WebhookLogEntry(a.Id, a.At, a.EventType, a.MessageId, a.StatusCode, a.DurationMs, a.Error, a.NextAttemptAt, a.DeliveryId))
            .ToListAsync(cancellationToken);
        return new WebhookEndpointDetails(Info(endpoint), deliveries, log);
    }

    public async Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "delete webhook", cancellationToken);
        if (endpoint is null)
        {
            return false;
        }
        db.Remove(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Queues a <c>webhook.test</c> event for the endpoint, sent and retried like any other: at most one per
    /// <see cref="WebhookOptions.TestInterval"/>, and none while <see cref="WebhookOptions.MaxPendingTests"/> still wait.
    /// </summary>
    public async Task<WebhookTestOutcome> SendTestAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var held = await gate.EnterAsync(GateKey(user.Id), cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "test webhook", cancellationToken);
        if (endpoint is null)
        {
            return WebhookTestOutcome.NotFound;
        }
        if (endpoint.DisabledAt is not null)
        {
            return WebhookTestOutcome.Disabled;
        }
        var now = time.GetUtcNow();
        var tests = db.WebhookDeliveries.Where(d => d.EndpointId == endpoint.Id && d.EventType == WebhookEventTypes.Test);
        var lastTest = await tests.OrderByDescending(d => d.Id).Select(d => (DateTimeOffset?)d.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if ((lastTest is { } last && now - last < options.Value.TestInterval)
            || await tests.CountAsync(d => d.State == WebhookDeliveryState.Pending, cancellationToken) >= options.Value.MaxPendingTests)
        {
            return WebhookTestOutcome.TooSoon;
        }
        var body = new WebhookEvent(WebhookEventTypes.Test, now,
            new WebhookTestData(endpoint.Id, "A test event from the Device Status Export Portal.")).ToJson();
        db.WebhookDeliveries.Add(new WebhookDelivery
        {
            EndpointId = endpoint.Id,
            MessageId = $"msg_test_{Guid.CreateVersion7():N}",
            EventType = WebhookEventTypes.Test,
            Body = body,
            CreatedAt = now,
            State = WebhookDeliveryState.Pending,
            NextAttemptAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        signal.Wake();
        return WebhookTestOutcome.Queued;
    }

    /// <summary>
    /// A new secret; the old one keeps signing beside it for <see cref="WebhookOptions.SecretOverlap"/>, so receivers
    /// can switch without losing an event. Null when not found.
    /// </summary>
    public async Task<string?> RotateSecretAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var endpoint = await FindAsync(db, user, id, "rotate the secret of webhook", cancellationToken);
        if (endpoint is null)
        {
            return null;
        }
        var secret = WebhookSigning.NewSecret();
        // Stored as it was: encrypted, or plain until the sender's start encrypts it.
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretUntil = time.GetUtcNow() + options.Value.SecretOverlap;
        endpoint.Secret = secrets.Protect(secret);
        await db.SaveChangesAsync(cancellationToken);
        return secret;
    }

    /// <summary>For the admins' dashboard: no endpoint's address or owner, only counts.</summary>
    public async Task<WebhookHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var since = time.GetUtcNow() - TimeSpan.FromDays(1);
        var endpoints = db.WebhookEndpoints;
        var attempts = db.WebhookAttempts;
        return new WebhookHealth(
            await endpoints.CountAsync(e => e.DisabledAt == null, cancellationToken),
            await endpoints.CountAsync(e => e.DisabledAt == null && e.FailingSince != null, cancellationToken),
            await endpoints.CountAsync(e => e.DisabledAt != null, cancellationToken),
            await attempts.CountAsync(a => a.At >= since && a.Error == null, cancellationToken),
            await attempts.CountAsync(a => a.At >= since && a.Error != null, cancellationToken),
            await attempts.CountAsync(a => a.At >= since && a.Error != null && a.NextAttemptAt == null, cancellationToken));
    }

    private async Task<WebhookEndpoint?> FindAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (endpoint is not null && endpoint.OwnerId != user.Id)
        {
            audit.AccessDenied(user.Id, $"{operation} {id}");
            return null;
        }
        return endpoint;
    }

    /// <summary>The user's gate for webhook changes, apart from the one their export submissions take.</summary>
    private static string GateKey(string userId) => $"webhooks:{userId}";

    private static string? EventsError(List<string> wanted)
    {
        var unknown = wanted.Where(e => !WebhookEventTypes.All.Contains(e)).ToList();
        return wanted.Count == 0 ? $"Choose at least one event: {string.Join(", ", WebhookEventTypes.All)}."
            : unknown.Count > 0 ? $"Unknown event {string.Join(", ", unknown)}; known events are {string.Join(", ", WebhookEventTypes.All)}."
            : null;
    }

    private static string EventsText(List<string> wanted) => string.Join(' ', WebhookEventTypes.All.Where(wanted.Contains));

    private static WebhookEndpointInfo Info(WebhookEndpoint e) =>
        new(e.Id, e.Url, e.EventList, e.CreatedAt, e.DisabledAt is null, e.DisabledAt, e.DisabledReason, e.FailingSince, e.PreviousSecretUntil);
}
