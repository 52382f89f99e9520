using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// A channel that must tell someone about changes even when nobody has the portal open (email, webhooks). The
/// dispatcher calls every planner with each batch it publishes; the rows a planner adds to <c>db</c> are saved in
/// the transaction that marks the batch published, so each change is planned exactly once, whichever instance
/// dispatches it and however often a crash makes it try. Sending is the channel's own work, from those rows.
/// </summary>
public interface IDeliveryPlanner
{
    /// <summary>Adds the deliveries <paramref name="changes"/> call for to <paramref name="db"/>; does not save.</summary>
    Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken);
}
