using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications.Email;

/// <summary>Which changes call for an email and whether the owner wants it: pure, so the rules are tested on their own.</summary>
public static class EmailDecision
{
    /// <summary>An export open at least this long is one a person has stopped watching: <see cref="ExportEmails.WhenSlow"/> mails it.</summary>
    public static readonly TimeSpan SlowAfter = TimeSpan.FromMinutes(2);

    /// <summary>The outcomes an owner is told about: the export ended, or waits for their decision.</summary>
    public static bool IsEmailedOutcome(ExportStatus status) =>
        status is ExportStatus.Completed or ExportStatus.Failed or ExportStatus.TimedOut or ExportStatus.Unconfirmed;

    /// <summary>A change into an emailed outcome, or a cancel by someone other than the owner (not a note on a request already there, not a deleted request).</summary>
    public static bool EndsExport(ExportChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return (IsEmailedOutcome(change.Status) || (change.Status == ExportStatus.Cancelled && CancelReason.IsByAnother(change.Detail)))
            && change.Previous != change.Status && !change.Deleted;
    }

    /// <summary>A delivery to a destination that ended: delivered, or given up (not one still retrying).</summary>
    public static bool EndsDelivery(ExportChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return change.Delivery is DeliveryStatus.Delivered or DeliveryStatus.Failed && !change.Deleted;
    }

    /// <summary>
    /// Whether the owner wants an email for an export that reached its outcome after <paramref name="openFor"/>: a
    /// scheduled run follows the schedules setting, any other export the exports setting.
    /// </summary>
    public static bool Wants(ExportEmails forExports, bool forSchedules, bool isScheduledRun, TimeSpan openFor) =>
        isScheduledRun
            ? forSchedules
            : forExports switch
            {
                ExportEmails.Always => true,
                ExportEmails.WhenSlow => openFor >= SlowAfter,
                _ => false,
            };
}
