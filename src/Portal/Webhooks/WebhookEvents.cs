using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Data;
using Portal.Exports;

namespace Portal.Webhooks;

/// <summary>The event types receivers subscribe to: one per status an export reaches, its deliveries to destinations, and the test event.</summary>
public static class WebhookEventTypes
{
    public const string Test = "webhook.test";

    /// <summary>An export was delivered to one of its owner's destinations.</summary>
    public const string Delivered = "export.delivered";

    /// <summary>A delivery to a destination was given up, with the reason.</summary>
    public const string DeliveryFailed = "export.delivery_failed";

    /// <summary>The event of a delivery's change, or null for a change receivers are not told about (delivering, a retry).</summary>
    public static string? For(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered => Delivered,
        DeliveryStatus.Failed => DeliveryFailed,
        _ => null,
    };

    public static string For(ExportStatus status) => status switch
    {
        ExportStatus.Queued => "export.queued",
        ExportStatus.Unconfirmed => "export.unconfirmed",
        ExportStatus.Submitted => "export.submitted",
        ExportStatus.InProgress => "export.in_progress",
        ExportStatus.Completed => "export.completed",
        ExportStatus.Failed => "export.failed",
        ExportStatus.TimedOut => "export.timed_out",
        ExportStatus.Cancelled => "export.cancelled",
        ExportStatus.Expired => "export.expired",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>Every type an endpoint may subscribe to, in the order an export meets them.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<ExportStatus>().OrderBy(Order).Select(For), Delivered, DeliveryFailed];

    private static int Order(ExportStatus status) => status switch
    {
        ExportStatus.Queued => 0,
        ExportStatus.Submitted => 1,
        ExportStatus.InProgress => 2,
        ExportStatus.Completed => 3,
        _ => 4 + (int)status,
    };
}

/// <summary>The JSON body of an event, fixed when the delivery is planned.</summary>
public sealed record WebhookEvent(string Type, DateTimeOffset Timestamp, object Data)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>
/// What a pipeline needs about the export: never a download URL (links are handed out fresh by the portal, to its
/// owner) and nothing secret. <see cref="Detail"/> and <see cref="Reason"/> are set on an <c>export.cancelled</c>
/// made by someone other than the owner.
/// </summary>
public sealed record WebhookExportData(
    Guid Id,
    string Name,
    ExportStatus Status,
    ExportStatus? PreviousStatus,
    string Format,
    WebhookRange Range,
    long? RowCount,
    int FileCount,
    int Version,
    Guid? ScheduleId,
    WebhookLinks Links,
    string? Detail = null,
    string? Reason = null,
    WebhookDeliveryData? Delivery = null)
{
    public static WebhookExportData From(ExportRequest row, ExportChanged change, Uri? portalBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(change);
        return new(
            row.Id,
            row.DisplayName,
            change.Status,
            change.Previous,
            row.Format.ApiName(),
            new WebhookRange(row.RangeFrom, row.RangeTo),
            change.RowCount,
            change.FileCount,
            change.Version,
            row.ScheduleId,
            new WebhookLinks(Link(portalBaseUrl, $"exports/{row.Id}"), Link(portalBaseUrl, $"api/v1/exports/{row.Id}")),
            // A cancel by someone other than the owner says who and why ("Cancelled by Ada Admin. Reason: ...").
            CancelReason.IsByAnother(change.Detail) ? change.Detail : null,
            CancelReason.ReasonOf(change.Detail));
    }

    private static string Link(Uri? baseUrl, string path) =>
        baseUrl is null ? "/" + path : new Uri(baseUrl, path).ToString();
}

public sealed record WebhookRange(DateTimeOffset From, DateTimeOffset To);

/// <summary>
/// An <c>export.delivered</c> or <c>export.delivery_failed</c>: the destination, its status, why it failed, and the
/// files written (name, path at the destination, bytes).
/// </summary>
public sealed record WebhookDeliveryData(Guid DestinationId, string Status, string? Error, IReadOnlyList<DeliveryFileEntry> Files);

/// <summary>The export's page for people and its API resource for scripts.</summary>
public sealed record WebhookLinks(string Page, string Api);

public sealed record WebhookTestData(Guid EndpointId, string Message);
