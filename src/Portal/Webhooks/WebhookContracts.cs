using Portal.Data;

namespace Portal.Webhooks;

/// <summary>
/// An endpoint as its owner and its team see it; never its secret, which is shown once when made. <see cref="Team"/>: the
/// team it belongs to (null: its owner's alone); <see cref="CreatedBy"/>: the name of who set it up.
/// </summary>
public sealed record WebhookEndpointInfo(
    Guid Id,
    string Url,
    IReadOnlyList<string> Events,
    DateTimeOffset CreatedAt,
    bool Active,
    DateTimeOffset? DisabledAt,
    string? DisabledReason,
    DateTimeOffset? FailingSince,
    DateTimeOffset? PreviousSecretUntil) : IOwnedResource
{
    public string? Team { get; init; }

    public string CreatedBy { get; init; } = "";

    /// <summary>Who set it up, by user id: for the pages' checks, not shown by the API.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string OwnerId { get; init; } = "";
}

/// <summary>One delivery: an event for the endpoint, its state and when it is tried next.</summary>
public sealed record WebhookDeliveryInfo(
    long Id,
    string MessageId,
    string EventType,
    Guid? ExportId,
    WebhookDeliveryState State,
    int Attempts,
    DateTimeOffset CreatedAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset? NextAttemptAt);

/// <summary>One entry of the delivery log: one POST and its answer.</summary>
public sealed record WebhookLogEntry(
    long Id,
    DateTimeOffset At,
    string EventType,
    string MessageId,
    int? StatusCode,
    int DurationMs,
    string? Error,
    DateTimeOffset? NextAttemptAt,
    long DeliveryId);

public sealed record WebhookEndpointDetails(WebhookEndpointInfo Endpoint, IReadOnlyList<WebhookDeliveryInfo> Deliveries, IReadOnlyList<WebhookLogEntry> Log);

public abstract record WebhookRegistration
{
    private WebhookRegistration() { }

    /// <summary>Registered; <see cref="Secret"/> is shown this once.</summary>
    public sealed record Created(WebhookEndpointInfo Endpoint, string Secret) : WebhookRegistration;

    /// <summary>Nothing stored; field name (<c>url</c>, <c>events</c>) to messages.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : WebhookRegistration;
}

public abstract record WebhookUpdate
{
    private WebhookUpdate() { }

    public sealed record Updated(WebhookEndpointInfo Endpoint) : WebhookUpdate;

    /// <summary>Nothing changed; field name (<c>events</c>) to messages.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : WebhookUpdate;

    public sealed record NotFound : WebhookUpdate;

    /// <summary>A member of its team who is not one of its maintainers.</summary>
    public sealed record Forbidden : WebhookUpdate;
}

public abstract record WebhookResend
{
    private WebhookResend() { }

    /// <summary>A new delivery of the same event waits for the sender.</summary>
    public sealed record Queued(WebhookDeliveryInfo Delivery) : WebhookResend;

    public sealed record NotFound : WebhookResend;

    /// <summary>A member of its team who is not one of its maintainers.</summary>
    public sealed record Forbidden : WebhookResend;

    public sealed record Disabled : WebhookResend;

    /// <summary>The delivery is still being sent and retried; a copy would only send it twice.</summary>
    public sealed record StillPending : WebhookResend;
}

public enum WebhookTestOutcome
{
    NotFound,
    Disabled,
    Queued,

    /// <summary>A member of its team who is not one of its maintainers.</summary>
    Forbidden,

    /// <summary>A test of this endpoint was queued less than <see cref="WebhookOptions.TestInterval"/> ago, or too many still wait.</summary>
    TooSoon,
}

/// <summary>What the admins' dashboard reads about webhooks.</summary>
public interface IWebhookHealth
{
    Task<WebhookHealth> GetHealthAsync(CancellationToken cancellationToken);
}

/// <summary>Delivery health for the admins' dashboard: the last 24 hours.</summary>
public sealed record WebhookHealth(int ActiveEndpoints, int FailingEndpoints, int DisabledEndpoints, int DeliveredLastDay, int FailedAttemptsLastDay, int GivenUpLastDay);
