using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Portal.Data;

namespace Portal.Exports;

/// <summary>
/// The status state machine: how a request moves from one status to another, with its timeline entry, the
/// owner's notice for an end, and metrics. Callers save the row and its new entries in one <c>SaveChanges</c>
/// and then wake the outbox: the timeline entry is the change that gets pushed.
/// </summary>
public sealed class ExportProgress(ExportMetrics metrics)
{
    public const string UpstreamActor = "device platform";
    public const string TrackerActor = "tracker";
    public const string DeliveryActor = "delivery";

    /// <summary>Moves the request to <paramref name="to"/>: event row, notice for an end, metrics.</summary>
    /// <param name="notifyOwner">A notice also for a status that is not an end the owner is always told about (a cancel by an admin).</param>
    public void Transition(PortalDbContext db, ExportRequest request, ExportStatus to, string actor, string? detail, DateTimeOffset now, bool notifyOwner = false)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        var from = request.Status;
        request.Status = to;
        request.UpdatedAt = now;
        request.Version++;
        if (!to.IsTracked())
        {
            request.NextPollAt = null;
            request.LeaseOwner = null;
            request.LeaseUntil = null;
        }
        db.ExportEvents.Add(Entry(request, from, actor, detail, now));
        if (to is ExportStatus.Completed or ExportStatus.Failed or ExportStatus.TimedOut or ExportStatus.Expired or ExportStatus.Unconfirmed
            || notifyOwner)
        {
            db.ExportNotices.Add(new ExportNoticeEntry
            {
                ExportId = request.Id,
                OwnerId = request.OwnerId,
                Status = to,
                At = now,
                Text = NoticeText(request, to, detail),
            });
        }
        metrics.Transition(to);
    }

    /// <summary>A timeline entry without a status change.</summary>
    public static void Note(PortalDbContext db, ExportRequest request, string actor, string detail, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        request.UpdatedAt = now;
        request.Version++;
        db.ExportEvents.Add(Entry(request, request.Status, actor, detail, now));
    }

    /// <summary>
    /// A share or an unshare: a timeline entry without a status change, routed to the colleague it concerns (the event
    /// row's <see cref="ExportEvent.OwnerId"/>), so that they hear it even once they may no longer read the export.
    /// </summary>
    public static void AccessNote(PortalDbContext db, ExportRequest request, string actor, string detail, string colleagueId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        request.UpdatedAt = now;
        request.Version++;
        var entry = Entry(request, request.Status, actor, Truncate(detail), now);
        entry.OwnerId = colleagueId;
        db.ExportEvents.Add(entry);
    }

    /// <summary>
    /// A change of one of the request's deliveries to a destination: a timeline entry that names the delivery and its
    /// new status (pushed to open pages like any change), and the owner's notice when it was delivered or failed.
    /// </summary>
    public static void Delivery(PortalDbContext db, ExportRequest request, long deliveryId, DeliveryStatus status, string detail, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        request.UpdatedAt = now;
        request.Version++;
        var entry = Entry(request, request.Status, DeliveryActor, Truncate(detail), now);
        entry.DeliveryId = deliveryId;
        entry.DeliveryStatus = status;
        db.ExportEvents.Add(entry);
        if (status is DeliveryStatus.Delivered or DeliveryStatus.Failed)
        {
            db.ExportNotices.Add(new ExportNoticeEntry
            {
                ExportId = request.Id,
                OwnerId = request.OwnerId,
                Status = request.Status,
                At = now,
                Text = Truncate($"{NoticeSubject(request)}: {detail}", 500),
            });
        }
    }

    /// <summary>The timeline entry of the request's current version; the outbox pushes it once it is saved.</summary>
    private static ExportEvent Entry(ExportRequest request, ExportStatus? from, string actor, string? detail, DateTimeOffset now) => new()
    {
        ExportId = request.Id,
        OwnerId = request.OwnerId,
        Version = request.Version,
        At = now,
        From = from,
        To = request.Status,
        Actor = actor,
        Detail = detail,
    };

    /// <summary>What a POST of this request sends, in the contract's words: the timeline of an unconfirmed request shows it.</summary>
    public static string SubmitDescription(ExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Create(CultureInfo.InvariantCulture,
            $"POST /v3/devices/status {{\"timerange\":{{\"from\":\"{request.RangeFrom.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\",\"to\":\"{request.RangeTo.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\"}},\"fileformat\":\"{request.Format.ApiName()}\"}}");
    }

    /// <summary>The notice's words: each names its export, so a list of them (the bell, a snackbar) tells them apart.</summary>
    private static string NoticeText(ExportRequest request, ExportStatus to, string? detail)
    {
        var what = NoticeSubject(request);
        var text = to switch
        {
            ExportStatus.Completed => $"{what} is ready to download.",
            ExportStatus.Failed => $"{what} failed: {detail}",
            ExportStatus.TimedOut => $"{what} timed out.",
            ExportStatus.Expired => $"{what} expired: its files are gone.",
            ExportStatus.Unconfirmed => $"{what} needs your decision: the device platform may have started it but did not confirm it.",
            ExportStatus.Cancelled when CancelReason.IsByAnother(detail) => $"{what} was cancelled{detail!["Cancelled".Length..]}",
            _ => $"{what}: {to.DisplayName()}.",
        };
        return Truncate(text, 500);
    }

    /// <summary>How a notice refers to its export: by its name, quoted.</summary>
    public static string NoticeSubject(ExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return $"\u201c{request.DisplayName}\u201d";
    }

    [return: NotNullIfNotNull(nameof(text))]
    public static string? Truncate(string? text, int max = 1000) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
