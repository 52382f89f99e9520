using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Portal.Data;

namespace Portal.Exports;

/// <summary>
/// The status state machine: how a request moves from one status to another, with its timeline entry, the
/// owner's notice for an end, and metrics. Callers save the row and its new entries in one <c>SaveChanges</c>
/// and then publish what this returns.
/// </summary>
public sealed class ExportProgress(ExportMetrics metrics)
{
    public const string UpstreamActor = "upstream";
    public const string TrackerActor = "tracker";

    /// <summary>Moves the request to <paramref name="to"/>: event row, notice for an end, metrics.</summary>
    public ExportChanged Transition(PortalDbContext db, ExportRequest request, ExportStatus to, string actor, string? detail, DateTimeOffset now)
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
        db.ExportEvents.Add(new ExportEvent { ExportId = request.Id, At = now, From = from, To = to, Actor = actor, Detail = detail });
        if (to is ExportStatus.Completed or ExportStatus.Failed or ExportStatus.TimedOut or ExportStatus.Expired or ExportStatus.Unconfirmed)
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
        return Changed(request, from, detail, now);
    }

    /// <summary>A timeline entry without a status change.</summary>
    public static ExportChanged Note(PortalDbContext db, ExportRequest request, string actor, string detail, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(request);
        request.UpdatedAt = now;
        request.Version++;
        db.ExportEvents.Add(new ExportEvent { ExportId = request.Id, At = now, From = request.Status, To = request.Status, Actor = actor, Detail = detail });
        return Changed(request, request.Status, detail, now);
    }

    public static ExportChanged Changed(ExportRequest request, ExportStatus? previous, string? detail, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ExportChanged(request.Id, request.OwnerId, previous, request.Status, now, detail, request.RowCount, request.Files.Count);
    }

    /// <summary>What a POST of this request sends, in the contract's words: the timeline of an unconfirmed request shows it.</summary>
    public static string SubmitDescription(ExportRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return string.Create(CultureInfo.InvariantCulture,
            $"POST /v3/devices/status {{\"timerange\":{{\"from\":\"{request.RangeFrom.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\",\"to\":\"{request.RangeTo.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}\"}},\"fileformat\":\"{request.Format.UpstreamName()}\"}}");
    }

    private static string NoticeText(ExportRequest request, ExportStatus to, string? detail)
    {
        var what = string.Create(CultureInfo.InvariantCulture,
            $"{request.Format.UpstreamName()} export {request.RangeFrom:yyyy-MM-dd HH:mm}–{request.RangeTo:yyyy-MM-dd HH:mm} UTC");
        var text = to switch
        {
            ExportStatus.Completed => $"{what} is ready.",
            ExportStatus.Failed => $"{what} failed: {detail}",
            ExportStatus.TimedOut => $"{what} timed out.",
            ExportStatus.Expired => $"{what} expired: its files are gone.",
            ExportStatus.Unconfirmed => $"{what} needs your decision: the device platform may have started it but did not confirm it.",
            _ => $"{what}: {to.DisplayName()}.",
        };
        return Truncate(text, 500);
    }

    [return: NotNullIfNotNull(nameof(text))]
    public static string? Truncate(string? text, int max = 1000) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
