using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// Tracks one claimed request: sends its POST (the one code path that does), asks for its status, or ends it when it
/// is open too long; applies the answer and saves it under the claim, then wakes the outbox.
/// </summary>
public sealed partial class RequestTracker(
    IDbContextFactory<PortalDbContext> dbFactory,
    // Scoped: the upstream client is a transient typed HttpClient, and one held by this singleton would never rotate its handler.
    IServiceScopeFactory scopeFactory,
    UpstreamAnswers answers,
    IExportOutbox outbox,
    ExportMetrics metrics,
    ExportProgress progress,
    DatabaseOutage outage,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<TrackerOptions> options,
    ILogger<ExportTracker> logger)
{
    /// <summary>Tracks the request of <paramref name="claim"/>; a failure parks that row and lets the others go on.</summary>
    public async Task TrackSafelyAsync(TrackerClaims claims, Claim claim, double quotaLeft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        try
        {
            await TrackAsync(claims, claim, quotaLeft, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (outage.Failed(ex, "the tracker"))
        {
            // The database is away, which is no fault of this row: it is due again as soon as the database answers,
            // with no attempt counted and no backoff.
            await claims.GiveBackAsync(claim, time.GetUtcNow());
        }
        catch (Exception ex)
        {
            // One bad row must not stop the others: park it for a while and go on.
            LogRowFailed(logger, claim.Id, ex);
            try
            {
                await claims.ParkAsync(claim);
            }
            catch (Exception releaseError)
            {
                LogRowFailed(logger, claim.Id, releaseError);
            }
        }
    }

    private async Task TrackAsync(TrackerClaims claims, Claim claim, double quotaLeft, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.ExportRequests.Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == claim.Id, cancellationToken);
        if (request is null || !claims.Holds(request, claim) || !request.Status.IsTracked())
        {
            return;
        }
        using var span = PortalActivity.StartForExport("tracker.request", claim.Id, request.TraceParent);

        var o = options.Value;
        var now = time.GetUtcNow();
        var jitter = Random.Shared.NextDouble();
        if (request is { RequestUuid: null, SubmitSentAt: not null })
        {
            // A POST went out and its answer was never stored (the process stopped in between): it may have started
            // a job, so it is never sent again on its own.
            answers.Unconfirm(db, request, "The portal stopped before it could store the device platform's answer.", now);
        }
        else if (now - request.CreatedAt > o.MaxOpenDuration)
        {
            answers.TimeOut(db, request, o.MaxOpenDuration, now);
        }
        else if (claims.MayLapseDuringACall(request, now) || cancellationToken.IsCancellationRequested)
        {
            // The lease might lapse before the call ends (this pass was slow) or the host is stopping: leave the row
            // to the next claim rather than risk two holders calling at once.
            TrackerClaims.Release(request, now);
        }
        else if (request.RequestUuid is null)
        {
            await SubmitAsync(db, claims, request, claim, jitter, quotaLeft);
            return;
        }
        else
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var client = scope.ServiceProvider.GetRequiredService<DeviceStatusClient>();
            var status = await client.GetStatusAsync(request.RequestUuid, cancellationToken);
            if (status is not StatusResult.NotSent)
            {
                request.Polls++;
                metrics.Poll();
            }
            answers.ApplyStatus(db, request, status, time.GetUtcNow(), jitter, quotaLeft);
        }

        if (await claims.TrySaveAsync(db, claim))
        {
            outbox.Wake();
        }
    }

    /// <summary>
    /// The one code path that posts upstream. The attempt is stored before the POST is sent, so an answer that never
    /// gets stored leaves a trace; once sent, neither the host stopping nor the page going away cancels the POST or
    /// the saving of its answer (the upstream client's timeout and the host's shutdown timeout bound it).
    /// </summary>
    private async Task SubmitAsync(PortalDbContext db, TrackerClaims claims, ExportRequest request, Claim claim, double jitter, double quotaLeft)
    {
        request.SubmitAttempts++;
        request.SubmitSentAt = time.GetUtcNow();
        request.Version++;
        if (!await claims.TrySaveAsync(db, claim))
        {
            return;
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var client = scope.ServiceProvider.GetRequiredService<DeviceStatusClient>();
        var result = await client.SubmitAsync(request.Range, request.Format, CancellationToken.None);

        answers.ApplySubmit(db, request, result, time.GetUtcNow(), jitter, quotaLeft);
        if (await SaveAnswerAsync(db, claims, claim))
        {
            outbox.Wake();
            return;
        }

        // Cancelled or deleted while the POST was under way, or taken over after the lease lapsed while the database
        // was away: that write stands, but an upstream id is kept on the row, and an unknown outcome is noted, so
        // nobody loses track of a job that may be running.
        await KeepLateAnswerAsync(request.Id, result);
    }

    /// <summary>
    /// Saves the POST's answer under the claim (version and lease token). The answer is the only record of a job that
    /// may be billed: while the database is away it is kept and the save tried again, with a growing pause, until it
    /// is saved, another holder took the row (false), or the host stops (then the next claim makes the request
    /// <c>Unconfirmed</c>, as for a process that died). The POST itself is never sent again.
    /// </summary>
    private async Task<bool> SaveAnswerAsync(PortalDbContext db, TrackerClaims claims, Claim claim)
    {
        var first = TimeSpan.FromMilliseconds(250);
        var pause = first;
        var stopping = lifetime.ApplicationStopping;
        while (true)
        {
            try
            {
                return await claims.TrySaveAsync(db, claim);
            }
            catch (Exception ex) when (outage.Failed(ex, "the tracker") && !stopping.IsCancellationRequested)
            {
                if (pause == first)
                {
                    LogAnswerKept(logger, claim.Id);
                }
                await Task.Delay(pause, time, stopping);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task KeepLateAnswerAsync(Guid id, SubmitResult result)
    {
        var detail = result switch
        {
            SubmitResult.Accepted accepted => $"Accepted by the device platform as {accepted.RequestUuid} after tracking had stopped; the id is kept for the record.",
            SubmitResult.Unknown unknown => $"{UpstreamAnswers.UnconfirmedReason} {unknown.Error}",
            _ => null,
        };
        if (detail is null)
        {
            return;
        }
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            var request = await db.ExportRequests.IgnoreQueryFilters().Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, CancellationToken.None);
            if (request is null)
            {
                return;
            }
            var now = time.GetUtcNow();
            if (result is SubmitResult.Accepted { RequestUuid: var saved } && request.RequestUuid == saved)
            {
                // Saved after all (the first save's commit went through but its acknowledgement was lost).
                outbox.Wake();
                return;
            }
            if (result is SubmitResult.Accepted resumed && request is { Status: ExportStatus.Unconfirmed, RequestUuid: null })
            {
                // Made Unconfirmed while this answer waited for the database: the job is known now, so it is followed
                // to its end like any other; nobody needs to decide anything.
                request.RequestUuid = resumed.RequestUuid;
                request.SubmittedAt = now;
                request.SubmitSentAt = null;
                request.UpstreamStatus = "Submitted";
                request.LastError = null;
                request.ConsecutiveErrors = 0;
                request.NextPollAt = now;
                progress.Transition(db, request, ExportStatus.Submitted, ExportProgress.UpstreamActor,
                    $"Accepted by the device platform as {resumed.RequestUuid}; the answer was stored late (the portal's database was away), so tracking resumes.", now);
                LogAcceptedLate(logger, id, resumed.RequestUuid);
            }
            else
            {
                if (result is SubmitResult.Accepted accepted && request.RequestUuid is null)
                {
                    request.RequestUuid = accepted.RequestUuid;
                    request.SubmittedAt = now;
                    LogAcceptedAfterStop(logger, id, accepted.RequestUuid);
                }
                request.SubmitSentAt = null;
                ExportProgress.Note(db, request, ExportProgress.UpstreamActor, detail, now);
            }
            try
            {
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }
            catch (Exception ex) when (outage.Failed(ex, "the tracker") && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // Kept until the database is back, as the answer itself was.
                attempt--;
                await Task.Delay(TimeSpan.FromSeconds(1), time, lifetime.ApplicationStopping);
                continue;
            }
            outbox.Wake();
            return;
        }
    }

    [LoggerMessage(LogLevel.Error, "Tracking export request {ExportId} failed; it is parked and retried later")]
    private static partial void LogRowFailed(ILogger logger, Guid exportId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "The device platform's answer to the POST of export request {ExportId} is kept until the database can store it")]
    private static partial void LogAnswerKept(ILogger logger, Guid exportId);

    [LoggerMessage(LogLevel.Warning, "Export request {ExportId} was accepted upstream as {RequestUuid} while it waited as Unconfirmed; tracking resumes")]
    private static partial void LogAcceptedLate(ILogger logger, Guid exportId, string requestUuid);

    [LoggerMessage(LogLevel.Warning, "Export request {ExportId} was accepted upstream as {RequestUuid} after it was cancelled or deleted")]
    private static partial void LogAcceptedAfterStop(ILogger logger, Guid exportId, string requestUuid);
}
