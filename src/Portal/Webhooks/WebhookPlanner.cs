using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Security;

namespace Portal.Webhooks;

/// <summary>
/// Adds one delivery per change and active endpoint that subscribed to its type, inside the dispatcher's transaction:
/// for a team's export the endpoints of its team (whoever set them up, so they outlive their author's membership), for a
/// personal export its owner's own endpoints (<see cref="ResourceAccess.BelongsWith"/>). Inside the dispatcher's
/// transaction: each change is planned once. The body and the message id are fixed here, so every retry sends the
/// same bytes under the same <c>webhook-id</c>.
/// </summary>
public sealed class WebhookPlanner(TimeProvider time, IOptions<WebhookOptions> options, WebhookSenderSignal signal) : IDeliveryPlanner
{
    public async Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(changes);
        // A deletion or a note on the timeline (a download) is not a change of status; a delivery that ended is an event of its own.
        var statusChanges = changes.Where(c => !c.Deleted && (c.Previous != c.Status || c.Delivery is { } d && WebhookEventTypes.For(d) is not null)).ToList();
        if (statusChanges.Count == 0)
        {
            return;
        }
        var exportIds = statusChanges.Select(c => c.ExportId).Distinct().ToList();
        var exports = await db.ExportRequests.IgnoreQueryFilters().AsNoTracking()
            .Where(e => exportIds.Contains(e.Id))
            .ToDictionaryAsync(e => e.Id, cancellationToken);
        var owners = exports.Values.Where(e => e.Team == null).Select(e => e.OwnerId).Distinct().ToList();
        var teams = exports.Values.Where(e => e.Team != null).Select(e => e.Team!).Distinct().ToList();
        var endpoints = await db.WebhookEndpoints.AsNoTracking()
            .Where(e => e.DisabledAt == null && ((e.Team == null && owners.Contains(e.OwnerId)) || (e.Team != null && teams.Contains(e.Team))))
            .ToListAsync(cancellationToken);
        if (endpoints.Count == 0)
        {
            return;
        }
        var deliveryIds = statusChanges.Where(c => c.DeliveryId is not null).Select(c => c.DeliveryId!.Value).ToList();
        var deliveries = deliveryIds.Count == 0
            ? []
            : await db.ExportDeliveries.AsNoTracking().Where(d => deliveryIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, cancellationToken);
        var now = time.GetUtcNow();
        var planned = 0;
        foreach (var change in statusChanges)
        {
            if (!exports.TryGetValue(change.ExportId, out var export))
            {
                continue;
            }
            var data = WebhookExportData.From(export, change, options.Value.PortalBaseUrl);
            var type = WebhookEventTypes.For(change.Status);
            if (change is { Delivery: { } status, DeliveryId: { } deliveryId })
            {
                if (!deliveries.TryGetValue(deliveryId, out var delivery))
                {
                    continue;
                }
                type = WebhookEventTypes.For(status)!;
                data = data with { Delivery = new WebhookDeliveryData(delivery.DestinationId, status.ToString(), delivery.Error, DeliveryFiles.Read(delivery.Files)) };
            }
            var body = new WebhookEvent(type, change.At, data).ToJson();
            foreach (var endpoint in endpoints.Where(e => ResourceAccess.BelongsWith(export, e) && e.EventList.Contains(type)))
            {
                db.WebhookDeliveries.Add(new WebhookDelivery
                {
                    EndpointId = endpoint.Id,
                    MessageId = $"msg_{change.EventId}_{endpoint.Id:N}",
                    EventType = type,
                    ExportId = change.ExportId,
                    Body = body,
                    CreatedAt = now,
                    State = WebhookDeliveryState.Pending,
                    NextAttemptAt = now,
                });
                planned++;
            }
        }
        if (planned > 0)
        {
            // The rows commit with the dispatcher's transaction; a sender woken before that finds them on its next look.
            signal.Wake();
        }
    }
}
