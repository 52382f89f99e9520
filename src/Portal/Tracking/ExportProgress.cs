using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// How an upstream answer changes a request: its status, its timeline, the owner's notices and its next poll.
/// Callers save the row and its new entries in one <c>SaveChanges</c> and then publish what this returns.
/// </summary>
public sealed class ExportProgress(
    PreparationEstimator estimator,
    IUpstreamBudget budget,
    ExportMetrics metrics,
    IOptions<TrackerOptions> options)
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
        if (!to.IsOpen())
        {
            request.NextPollAt = null;
            request.LeaseOwner = null;
            request.LeaseUntil = null;
        }
        db.ExportEvents.Add(new ExportEvent { ExportId = request.Id, At = now, From = from, To = to, Actor = actor, Detail = detail });
        if (to is ExportStatus.Completed or ExportStatus.Failed or ExportStatus.TimedOut or ExportStatus.Expired)
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

    public ExportChanged? ApplySubmit(PortalDbContext db, ExportRequest request, SubmitResult result, DateTimeOffset now, double jitter)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.LeaseOwner = null;
        request.LeaseUntil = null;
        switch (result)
        {
            case SubmitResult.Accepted accepted:
                request.RequestUuid = accepted.RequestUuid;
                request.SubmittedAt = now;
                request.UpstreamStatus = "Submitted";
                request.ConsecutiveErrors = 0;
                request.LastError = null;
                var submitted = Transition(db, request, ExportStatus.Submitted, UpstreamActor, $"Accepted upstream as {accepted.RequestUuid}.", now);
                request.NextPollAt = NextPoll(request, now, retryAfter: null, jitter);
                return submitted;

            case SubmitResult.Rejected rejected:
                request.LastError = Truncate(rejected.Reason);
                return Transition(db, request, ExportStatus.Failed, UpstreamActor, request.LastError, now);

            case SubmitResult.Transient transient:
                var trouble = RecordTrouble(request, transient.Error, now);
                if (request.SubmitAttempts >= options.Value.MaxSubmitAttempts)
                {
                    return Transition(db, request, ExportStatus.Failed, TrackerActor,
                        Truncate($"The upstream did not accept the export after {request.SubmitAttempts} attempts. Last error: {transient.Error}"), now);
                }
                request.NextPollAt = NextPoll(request, now, transient.RetryAfter, jitter);
                return trouble;

            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }
    }

    /// <summary>Applies a status answer to an open request.</summary>
    public ExportChanged? ApplyStatus(PortalDbContext db, ExportRequest request, StatusResult result, DateTimeOffset now, double jitter)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.LeaseOwner = null;
        request.LeaseUntil = null;
        switch (result)
        {
            case StatusResult.Found { Status: var status } found:
                var recovered = request.ConsecutiveErrors > 0;
                request.ConsecutiveErrors = 0;
                request.LastError = null;
                var changed = status.State switch
                {
                    UpstreamState.Completed => Complete(db, request, status, now),
                    UpstreamState.InProgress when request.Status != ExportStatus.InProgress =>
                        Transition(db, request, ExportStatus.InProgress, UpstreamActor, null, now),
                    UpstreamState.Unknown when request.UpstreamStatus != status.RawStatus =>
                        Note(db, request, $"The upstream reported an unknown status \"{Truncate(status.RawStatus, 64)}\"; still waiting.", now),
                    _ => null,
                };
                request.UpstreamStatus = Truncate(status.RawStatus, 64);
                if (changed is null)
                {
                    request.Version++;
                    request.UpdatedAt = now;
                    // Whoever watches was told of the trouble; tell them it is over.
                    changed = recovered ? Changed(request, request.Status, null, now) : null;
                }
                if (request.Status.IsOpen())
                {
                    request.NextPollAt = NextPoll(request, now, found.RetryAfter, jitter);
                }
                return changed;

            case StatusResult.NotFound:
                request.LastError = "The upstream no longer knows this export.";
                return Transition(db, request, ExportStatus.Failed, UpstreamActor, request.LastError, now);

            case StatusResult.Transient transient:
                var trouble = RecordTrouble(request, transient.Error, now);
                request.NextPollAt = NextPoll(request, now, transient.RetryAfter, jitter);
                return trouble;

            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }
    }

    /// <summary>Stores fresh URLs of a completed request.</summary>
    public static void StoreFiles(ExportRequest request, UpstreamStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(status);
        var expires = status.UrlsExpireAt ?? now.AddMinutes(15);
        for (var part = 0; part < status.DownloadUrls.Count; part++)
        {
            var url = status.DownloadUrls[part];
            var file = request.Files.FirstOrDefault(f => f.Part == part);
            if (file is null)
            {
                file = new ExportFile { ExportId = request.Id, Part = part, Name = PartName(url, part, request.Format) };
                request.Files.Add(file);
            }
            file.Url = url.ToString();
            file.UrlExpiresAt = expires;
        }
    }

    public DateTimeOffset NextPoll(ExportRequest request, DateTimeOffset now, TimeSpan? retryAfter, double jitter)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = options.Value;
        var expected = request.RequestUuid is null ? null : estimator.Estimate(request.Format, request.Range.Minutes);
        var quotaLeft = (double)budget.Available(now) / Math.Max(1, budget.Limit);
        return PollingPolicy.NextPollAt(
            new PollContext(now, request.SubmittedAt ?? request.CreatedAt, expected, request.ConsecutiveErrors, retryAfter, quotaLeft, jitter), o);
    }

    public static ExportChanged Changed(ExportRequest request, ExportStatus? previous, string? detail, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ExportChanged(request.Id, request.OwnerId, previous, request.Status, now, detail, request.RowCount, request.Files.Count);
    }

    private ExportChanged Complete(PortalDbContext db, ExportRequest request, UpstreamStatus status, DateTimeOffset now)
    {
        request.RowCount = status.RowCount;
        request.CompletedAt = status.CompletedAt ?? now;
        request.CompletionSeenAt = now;
        StoreFiles(request, status, now);
        if (request.SubmittedAt is { } submittedAt)
        {
            var upstreamStart = status.SubmittedAt ?? submittedAt;
            estimator.Add(new PreparationSample(request.Format, request.Range.Minutes, request.CompletedAt.Value - upstreamStart));
        }
        metrics.Completed(request.Format, now - request.CreatedAt);
        var files = status.DownloadUrls.Count == 1 ? "1 file" : $"{status.DownloadUrls.Count} files";
        return Transition(db, request, ExportStatus.Completed, UpstreamActor, $"{status.RowCount?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "?"} rows in {files}.", now);
    }

    /// <summary>
    /// Records a failed upstream call. The first of a run is news to whoever watches the request (its page says the
    /// portal keeps trying); the retries after it are not.
    /// </summary>
    private static ExportChanged? RecordTrouble(ExportRequest request, string error, DateTimeOffset now)
    {
        request.ConsecutiveErrors++;
        request.LastError = Truncate(error);
        request.Version++;
        request.UpdatedAt = now;
        return request.ConsecutiveErrors == 1 ? Changed(request, request.Status, request.LastError, now) : null;
    }

    /// <summary>A timeline entry without a status change.</summary>
    private static ExportChanged Note(PortalDbContext db, ExportRequest request, string detail, DateTimeOffset now)
    {
        request.UpdatedAt = now;
        request.Version++;
        db.ExportEvents.Add(new ExportEvent { ExportId = request.Id, At = now, From = request.Status, To = request.Status, Actor = UpstreamActor, Detail = detail });
        return Changed(request, request.Status, detail, now);
    }

    private static string PartName(Uri url, int part, FileFormat format)
    {
        var last = Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? "");
        return last.Length is > 0 and <= 200 && !last.EndsWith('/') ? last : $"part-{part:D5}{format.Extension()}";
    }

    private static string NoticeText(ExportRequest request, ExportStatus to, string? detail)
    {
        var what = $"{request.Format.UpstreamName()} export {request.RangeFrom:yyyy-MM-dd HH:mm}–{request.RangeTo:yyyy-MM-dd HH:mm} UTC";
        var text = to switch
        {
            ExportStatus.Completed => $"{what} is ready.",
            ExportStatus.Failed => $"{what} failed: {detail}",
            ExportStatus.TimedOut => $"{what} timed out.",
            ExportStatus.Expired => $"{what} expired: its files are gone.",
            _ => $"{what}: {to.DisplayName()}.",
        };
        return Truncate(text, 500)!;
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Truncate(string? text, int max = 1000) => text is null || text.Length <= max ? text : text[..(max - 1)] + "…";
}
