using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Webhooks;

/// <summary>
/// A user's and their teams' webhook endpoints, scoped by <see cref="ResourceAccess"/> without the admin right (an
/// endpoint holds its owner's or its team's secret, so admins are scoped like everyone): one the user may not read is
/// "not found", and the attempt is audited; a member of its team reads it, its maintainers change, test, re-send,
/// rotate and delete it. Registering and testing hold the
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

    /// <summary>The field a problem with the team is reported under.</summary>
    public const string TeamField = "team";

    public async Task<WebhookRegistration> RegisterAsync(ExportUser user, string? url, IReadOnlyCollection<string>? events, string? team, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var errors = new Dictionary<string, string[]>();
        team = string.IsNullOrWhiteSpace(team) ? null : team.Trim();
        if (!ResourceAccess.CanAssignTo(user, team))
        {
            errors[TeamField] = [$"You are not a member of team {team}."];
        }
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
            Team = team,
        };
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookRegistration.Created(Info(endpoint, new Dictionary<string, string> { [user.Id] = user.Name }), secret);
    }

    /// <summary>
    /// Changes which events an endpoint receives (null: as they are) and, when <paramref name="team"/> is given, moves it to
    /// that team (one the user is a member of); deliveries already planned are sent as planned.
    /// </summary>
    public async Task<WebhookUpdate> UpdateEventsAsync(ExportUser user, Guid id, IReadOnlyCollection<string>? events, string? team, CancellationToken cancellationToken)
    {
        team = string.IsNullOrWhiteSpace(team) ? null : team.Trim();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (endpoint, access) = await FindAsync(db, user, id, "edit webhook", Access.Change, cancellationToken);
        if (access == Access.ReadOnly)
        {
            return new WebhookUpdate.Forbidden();
        }
        if (endpoint is null || access != Access.Change)
        {
            return new WebhookUpdate.NotFound();
        }
        if (team is not null && !ResourceAccess.CanAssignTo(user, team))
        {
            return new WebhookUpdate.Invalid(new Dictionary<string, string[]> { [TeamField] = [$"You are not a member of team {team}."] });
        }
        if (events is not null || team is null)
        {
            var wanted = (events ?? []).Select(e => e?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToList();
            if (EventsError(wanted) is { } error)
            {
                return new WebhookUpdate.Invalid(new Dictionary<string, string[]> { ["events"] = [error] });
            }
            endpoint.Events = EventsText(wanted);
        }
        endpoint.Team = team ?? endpoint.Team;
        await db.SaveChangesAsync(cancellationToken);
        return new WebhookUpdate.Updated(Info(endpoint, await NamesAsync(db, [endpoint], cancellationToken)));
    }

    /// <summary>
    /// Queues the event of one delivery again for its endpoint: a new delivery with the same body and its own message
    /// id (receivers drop a message id they have seen), sent and retried by the sender like any other.
    /// </summary>
    public async Task<WebhookResend> ResendAsync(ExportUser user, Guid id, long deliveryId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (found, access) = await FindAsync(db, user, id, "resend a delivery of webhook", Access.Change, cancellationToken);
        if (access == Access.ReadOnly)
        {
            return new WebhookResend.Forbidden();
        }
        var endpoint = access == Access.Change ? found : null;
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

    /// <summary>The endpoints the user reads (their own and their teams'), of <paramref name="team"/> only when given, with the names of who set them up.</summary>
    public async Task<IReadOnlyList<WebhookEndpointInfo>> ListAsync(ExportUser user, string? team, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var readable = ResourceAccess.Readable(db.WebhookEndpoints.AsNoTracking(), Scoped(user));
        if (team is not null)
        {
            readable = readable.Where(e => e.Team == team);
        }
        var endpoints = await readable.ToListAsync(cancellationToken);
        var names = await NamesAsync(db, endpoints, cancellationToken);
        return [.. endpoints.OrderBy(e => e.CreatedAt).Select(e => Info(e, names))];
    }

    public async Task<WebhookEndpointDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (endpoint, access) = await FindAsync(db, user, id, "read webhook", Access.ReadOnly, cancellationToken);
        if (endpoint is null || access == Access.NotFound)
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
        return new WebhookEndpointDetails(Info(endpoint, await NamesAsync(db, [endpoint], cancellationToken)), deliveries, log);
    }

    /// <summary><see cref="Access.Change"/> when deleted; <see cref="Access.NotFound"/> or <see cref="Access.ReadOnly"/> (a member of its team) when not.</summary>
    public async Task<Access> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (endpoint, access) = await FindAsync(db, user, id, "delete webhook", Access.Change, cancellationToken);
        if (endpoint is null || access != Access.Change)
        {
            return access;
        }
        db.Remove(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        return Access.Change;
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
        var (endpoint, access) = await FindAsync(db, user, id, "test webhook", Access.Change, cancellationToken);
        if (access == Access.ReadOnly)
        {
            return WebhookTestOutcome.Forbidden;
        }
        if (endpoint is null || access != Access.Change)
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
    /// can switch without losing an event. Null, with <see cref="Access.NotFound"/> or <see cref="Access.ReadOnly"/>, when the
    /// user may not change it.
    /// </summary>
    public async Task<(string? Secret, Access Access)> RotateSecretAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (endpoint, access) = await FindAsync(db, user, id, "rotate the secret of webhook", Access.Change, cancellationToken);
        if (endpoint is null || access != Access.Change)
        {
            return (null, access);
        }
        var secret = WebhookSigning.NewSecret();
        // Stored as it was: encrypted, or plain until the sender's start encrypts it.
        endpoint.PreviousSecret = endpoint.Secret;
        endpoint.PreviousSecretUntil = time.GetUtcNow() + options.Value.SecretOverlap;
        endpoint.Secret = secrets.Protect(secret);
        await db.SaveChangesAsync(cancellationToken);
        return (secret, access);
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

    /// <summary>The endpoint and what the user may do with it; a refusal of <paramref name="needed"/> is audited. An unknown id is <see cref="Access.NotFound"/>.</summary>
    private async Task<(WebhookEndpoint? Endpoint, Access Access)> FindAsync(PortalDbContext db, ExportUser user, Guid id, string operation, Access needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        var access = ResourceAccess.Decide(Scoped(user), endpoint);
        if (endpoint is not null && access < needed)
        {
            audit.AccessDenied(user.Id, $"{operation} {id}");
        }
        return (endpoint, access);
    }

    /// <summary>The user as webhooks scope them: an admin's right does not reach another's secret.</summary>
    private static ExportUser Scoped(ExportUser user) => user with { IsAdmin = false };

    /// <summary>The names of who set the endpoints up, from the users the portal knows (their id when it knows none).</summary>
    private static async Task<Dictionary<string, string>> NamesAsync(PortalDbContext db, IReadOnlyCollection<WebhookEndpoint> endpoints, CancellationToken cancellationToken)
    {
        var ids = endpoints.Select(e => e.OwnerId).Distinct().ToList();
        return await db.PortalUsers.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Name, cancellationToken);
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

    private static WebhookEndpointInfo Info(WebhookEndpoint e, Dictionary<string, string> names) =>
        new(e.Id, e.Url, e.EventList, e.CreatedAt, e.DisabledAt is null, e.DisabledAt, e.DisabledReason, e.FailingSince, e.PreviousSecretUntil)
        {
            Team = e.Team,
            OwnerId = e.OwnerId,
            CreatedBy = names.GetValueOrDefault(e.OwnerId) is { Length: > 0 } name ? name : e.OwnerId,
        };
}
