using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// How an upstream answer changes a request: which transition it makes, what it stores, and when to poll next.
/// Callers save the row and its new entries in one <c>SaveChanges</c> and then wake the outbox.
/// </summary>
public sealed class UpstreamAnswers(
    ExportProgress progress,
    PreparationEstimator estimator,
    ExportMetrics metrics,
    IOptions<TrackerOptions> options)
{
    /// <summary>What a user sees on a request whose POST was sent but not confirmed.</summary>
    public const string UnconfirmedReason = "The device platform may have started this export but did not confirm it.";

    /// <summary>The timeline entry that ends a run of failed upstream calls.</summary>
    public const string RecoveredDetail = "The device platform answers again.";

    /// <param name="quotaLeft">The share of the upstream budget left when the call was made (0 to 1).</param>
    public void ApplySubmit(PortalDbContext db, ExportRequest request, SubmitResult result, DateTimeOffset now, double jitter, double quotaLeft)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.LeaseOwner = null;
        request.LeaseUntil = null;
        switch (result)
        {
            case SubmitResult.Accepted accepted:
                request.RequestUuid = accepted.RequestUuid;
                request.SubmittedAt = now;
                request.SubmitSentAt = null;
                request.UpstreamStatus = "Submitted";
                request.ConsecutiveErrors = 0;
                request.LastError = null;
                progress.Transition(db, request, ExportStatus.Submitted, ExportProgress.UpstreamActor, $"Accepted by the device platform as {accepted.RequestUuid}.", now);
                request.NextPollAt = NextPoll(request, now, retryAfter: null, jitter, quotaLeft);
                return;

            case SubmitResult.Rejected rejected:
                request.SubmitSentAt = null;
                request.LastError = ExportProgress.Truncate(rejected.Reason);
                progress.Transition(db, request, ExportStatus.Failed, ExportProgress.UpstreamActor, request.LastError, now);
                return;

            case SubmitResult.NotAccepted notAccepted:
                // Nothing was started upstream: the same request may be sent again.
                request.SubmitSentAt = null;
                RecordTrouble(db, request, notAccepted.Error, now);
                if (request.SubmitAttempts >= options.Value.MaxSubmitAttempts)
                {
                    progress.Transition(db, request, ExportStatus.Failed, ExportProgress.TrackerActor,
                        ExportProgress.Truncate($"The device platform did not accept the export after {request.SubmitAttempts} attempts. Last error: {notAccepted.Error}"), now);
                    return;
                }
                request.NextPollAt = NextPoll(request, now, notAccepted.RetryAfter, jitter, quotaLeft);
                return;

            case SubmitResult.Unknown unknown:
                Unconfirm(db, request, unknown.Error, now);
                return;

            case SubmitResult.NotSent notSent:
                // The POST never left the portal: it was no attempt, and nothing went wrong upstream.
                request.SubmitSentAt = null;
                request.SubmitAttempts--;
                request.NextPollAt = now + notSent.RetryAfter;
                return;

            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }
    }

    /// <summary>
    /// A POST whose outcome is unknown (no answer, a 5xx gateway, a process that died before storing it): the
    /// request waits for a person, with the attempt in its timeline.
    /// </summary>
    public void Unconfirm(PortalDbContext db, ExportRequest request, string error, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.LastError = UnconfirmedReason;
        var sent = request.SubmitSentAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture) : "at an unknown time";
        var detail = ExportProgress.Truncate(
            $"{UnconfirmedReason} Attempt {request.SubmitAttempts} sent {sent}: {ExportProgress.SubmitDescription(request)}. {error} "
            + "The portal will not send it again on its own: submit it again (this may start a second, billed export) or cancel it.");
        progress.Transition(db, request, ExportStatus.Unconfirmed, ExportProgress.TrackerActor, detail, now);
    }

    /// <summary>A request open longer than <c>Tracking:MaxOpenDuration</c>: the portal stops waiting for it.</summary>
    public void TimeOut(PortalDbContext db, ExportRequest request, TimeSpan maxOpenDuration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.LastError = $"No result after {maxOpenDuration}; the portal stopped waiting.";
        progress.Transition(db, request, ExportStatus.TimedOut, ExportProgress.TrackerActor, request.LastError, now);
    }

    /// <summary>Applies a status answer to a tracked request.</summary>
    public void ApplyStatus(PortalDbContext db, ExportRequest request, StatusResult result, DateTimeOffset now, double jitter, double quotaLeft)
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
                switch (status.State)
                {
                    case UpstreamState.Completed:
                        Complete(db, request, status, now);
                        break;
                    case UpstreamState.InProgress when request.Status != ExportStatus.InProgress:
                        progress.Transition(db, request, ExportStatus.InProgress, ExportProgress.UpstreamActor, null, now);
                        break;
                    case UpstreamState.Unknown when request.UpstreamStatus != status.RawStatus:
                        ExportProgress.Note(db, request, ExportProgress.UpstreamActor,
                            $"The device platform reported an unknown status \"{ExportProgress.Truncate(status.RawStatus, 64)}\"; still waiting.", now);
                        break;
                    case var _ when recovered:
                        // Whoever watches was told of the trouble; tell them it is over.
                        ExportProgress.Note(db, request, ExportProgress.TrackerActor, RecoveredDetail, now);
                        break;
                    default:
                        request.Version++;
                        request.UpdatedAt = now;
                        break;
                }
                request.UpstreamStatus = ExportProgress.Truncate(status.RawStatus, 64);
                if (request.Status.IsTracked())
                {
                    request.NextPollAt = NextPoll(request, now, found.RetryAfter, jitter, quotaLeft);
                }
                return;

            case StatusResult.NotFound:
                request.LastError = "The device platform no longer knows this export.";
                progress.Transition(db, request, ExportStatus.Failed, ExportProgress.UpstreamActor, request.LastError, now);
                return;

            case StatusResult.Transient transient:
                RecordTrouble(db, request, transient.Error, now);
                request.NextPollAt = NextPoll(request, now, transient.RetryAfter, jitter, quotaLeft);
                return;

            case StatusResult.NotSent notSent:
                request.NextPollAt = now + notSent.RetryAfter;
                return;

            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }
    }

    public DateTimeOffset NextPoll(ExportRequest request, DateTimeOffset now, TimeSpan? retryAfter, double jitter, double quotaLeft)
    {
        ArgumentNullException.ThrowIfNull(request);
        var o = options.Value;
        var expected = request.RequestUuid is null ? null : estimator.Estimate(request.Format, request.Range.Minutes);
        return PollingPolicy.NextPollAt(
            new PollContext(now, request.SubmittedAt ?? request.CreatedAt, expected, request.ConsecutiveErrors, retryAfter, quotaLeft, jitter), o);
    }

    private void Complete(PortalDbContext db, ExportRequest request, UpstreamStatus status, DateTimeOffset now)
    {
        request.RowCount = status.RowCount;
        request.CompletedAt = status.CompletedAt ?? now;
        request.CompletionSeenAt = now;
        request.SecondsToComplete = Math.Max(0, (request.CompletedAt.Value - request.CreatedAt).TotalSeconds);
        ResultFileUrls.Store(request, status, now);
        if (request.SubmittedAt is { } submittedAt)
        {
            var upstreamStart = status.SubmittedAt ?? submittedAt;
            estimator.Add(new PreparationSample(request.Format, request.Range.Minutes, request.CompletedAt.Value - upstreamStart));
        }
        metrics.Completed(request.Format, now - request.CreatedAt);
        var files = status.DownloadUrls.Count == 1 ? "1 file" : $"{status.DownloadUrls.Count} files";
        progress.Transition(db, request, ExportStatus.Completed, ExportProgress.UpstreamActor,
            $"{status.RowCount?.ToString("N0", CultureInfo.InvariantCulture) ?? "?"} rows in {files}.", now);
    }

    /// <summary>
    /// Records a failed upstream call. The first of a run is news to whoever watches the request (its page says the
    /// portal keeps trying); the retries after it are not.
    /// </summary>
    private static void RecordTrouble(PortalDbContext db, ExportRequest request, string error, DateTimeOffset now)
    {
        request.ConsecutiveErrors++;
        request.LastError = ExportProgress.Truncate(error);
        if (request.ConsecutiveErrors == 1)
        {
            ExportProgress.Note(db, request, ExportProgress.TrackerActor, request.LastError, now);
            return;
        }
        request.Version++;
        request.UpdatedAt = now;
    }
}
