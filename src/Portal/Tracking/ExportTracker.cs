using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// Follows open export requests upstream, and is the one place that sends their POST. Each pass claims as many due
/// rows as it can work on now with one atomic UPDATE (a lease with a fencing token), calls the upstream for each
/// while the lease is certain to outlast the call, and writes every change (row, event, notice) in one transaction
/// that only succeeds while the claim is still its own, then wakes the outbox that pushes it. The rows are the
/// schedule: a restart or a second instance picks up exactly where they say.
/// </summary>
public sealed partial class ExportTracker(
    IDbContextFactory<PortalDbContext> dbFactory,
    IServiceScopeFactory scopeFactory,
    ExportProgress progress,
    UpstreamAnswers answers,
    PreparationEstimator estimator,
    IUpstreamBudget budget,
    IUpstreamPause pause,
    IExportOutbox outbox,
    TrackerSignal signal,
    TrackerHeartbeat heartbeat,
    ExportMetrics metrics,
    IOptions<ExportsOptions> exportsOptions,
    IOptions<UpstreamOptions> upstreamOptions,
    UpstreamEndpoint endpoint,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<TrackerOptions> options,
    ILogger<ExportTracker> logger) : BackgroundService
{
    private static readonly ExportStatus[] Tracked = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];
    private static readonly ExportStatus[] Polled = [ExportStatus.Submitted, ExportStatus.InProgress];

    private DateTimeOffset nextExpiryLook = DateTimeOffset.MinValue;

    /// <summary>Tells this instance's leases apart from another's; ends with the host and process that hold them.</summary>
    public string InstanceId { get; } = $"{Guid.NewGuid():N}@{Environment.MachineName}:{Environment.ProcessId}" is var id && id.Length > 100 ? id[..100] : id;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            if (endpoint.IsEmbedded)
            {
                // The embedded upstream's address is the server's, known once it listens.
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
                await started.Task.WaitAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                heartbeat.Beat(time.GetUtcNow());
                TimeSpan wait;
                try
                {
                    if (!estimator.IsLoaded)
                    {
                        await estimator.LoadAsync(stoppingToken);
                    }
                    wait = await RunPassAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogPassFailed(logger, ex);
                    wait = options.Value.IdleInterval;
                }
                await signal.WaitAsync(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await ReleaseLeasesAsync();
        }
    }

    /// <summary>One pass: claims what is due, polls it, and says how long to wait before the next pass.</summary>
    public async Task<TimeSpan> RunPassAsync(CancellationToken cancellationToken)
    {
        using var pass = PortalActivity.Source.StartActivity("tracker.pass");
        var o = options.Value;
        var now = time.GetUtcNow();
        // Results expire after a retention of hours: a look every idle interval is plenty, not one per pass.
        if (now >= nextExpiryLook)
        {
            await ExpireBeyondRetentionAsync(now, cancellationToken);
            nextExpiryLook = now + o.IdleInterval;
        }
        if (await pause.CurrentAsync(now, cancellationToken) is { } paused)
        {
            // Every upstream call is refused until then: claiming rows now would only park them.
            return paused.Until - now;
        }
        // Each attempt takes from the budget as it is sent; claim only as many requests as fit now, at the budget's
        // even pace, and can be worked on at once, so a claimed row never waits for a free slot while its lease runs.
        var use = await budget.ReadAsync(now, cancellationToken);
        var room = Math.Min(Math.Min(o.BatchSize, o.MaxParallelCalls), use.PacedRoom);
        if (room == 0)
        {
            return Clamp(use.NextPacedAt(now) - now, o.IdleInterval);
        }

        var claimed = await ClaimAsync(room, now, cancellationToken);
        if (claimed.Count > 0)
        {
            var quotaLeft = (double)use.Available / Math.Max(1, use.Limit);
            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = o.MaxParallelCalls, CancellationToken = cancellationToken },
                async (claim, ct) => await ProcessSafelyAsync(claim, quotaLeft, ct));
        }

        if (claimed.Count == room)
        {
            return TimeSpan.Zero;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await db.ExportRequests
            .Where(e => Tracked.Contains(e.Status) && e.NextPollAt != null)
            .MinAsync(e => e.NextPollAt, cancellationToken);
        return next is null ? o.IdleInterval : Clamp(next.Value - time.GetUtcNow(), o.IdleInterval);
    }

    /// <summary>The upstream purges results after its retention: completed requests older than that are expired.</summary>
    private async Task ExpireBeyondRetentionAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var purgedBefore = now - exportsOptions.Value.UpstreamRetention;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.ExportRequests
            .Include(e => e.Files)
            .Where(e => e.Status == ExportStatus.Completed && e.CompletedAt < purgedBefore)
            .OrderBy(e => e.CompletedAt)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        if (expired.Count == 0)
        {
            return;
        }

        foreach (var request in expired)
        {
            progress.Transition(db, request, ExportStatus.Expired, ExportProgress.TrackerActor,
                $"The device platform keeps results for {exportsOptions.Value.UpstreamRetention.TotalHours:0.#} hours.", now);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance or a download got there first; the next pass sees what is left.
            return;
        }
        outbox.Wake();
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> due requests, those waiting for their POST first: a new export must not
    /// wait behind the polls of thousands of open ones when the budget cannot poll them all on time.
    /// </summary>
    private async Task<IReadOnlyList<Claim>> ClaimAsync(int max, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + options.Value.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsNpgsql())
        {
            var toSubmit = await ClaimOnPostgreSqlAsync(db, [ExportStatus.Queued], max, now, until, cancellationToken);
            return toSubmit.Count == max
                ? toSubmit
                : [.. toSubmit, .. await ClaimOnPostgreSqlAsync(db, Polled, max - toSubmit.Count, now, until, cancellationToken)];
        }

        var count = await ClaimOnSqliteAsync(db, [ExportStatus.Queued], max, now, until, cancellationToken);
        if (count < max)
        {
            count += await ClaimOnSqliteAsync(db, Polled, max - count, now, until, cancellationToken);
        }
        if (count == 0)
        {
            return [];
        }
        return await db.ExportRequests
            .Where(e => e.LeaseOwner == InstanceId && e.LeaseUntil == until)
            .Select(e => new Claim(e.Id, e.LeaseToken))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// One statement: SQLite runs it under its write lock, so two instances never claim the same row. Raising the
    /// token fences off a former holder whose lease lapsed: its writes are conditional on the token it had.
    /// </summary>
    private Task<int> ClaimOnSqliteAsync(
        PortalDbContext db, ExportStatus[] statuses, int max, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var due = db.ExportRequests
            .Where(e => statuses.Contains(e.Status) && e.NextPollAt <= now && (e.LeaseUntil == null || e.LeaseUntil < now))
            .OrderBy(e => e.NextPollAt)
            .Select(e => e.Id)
            .Take(max);
        return db.ExportRequests
            .Where(e => due.Contains(e.Id))
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.LeaseOwner, InstanceId)
                .SetProperty(e => e.LeaseUntil, until)
                .SetProperty(e => e.LeaseToken, e => e.LeaseToken + 1), cancellationToken);
    }

    /// <summary>
    /// One statement as well: rows another instance is claiming right now are skipped rather than waited for, and the
    /// re-check of the lease after the wait means a row is never claimed twice. The token is raised as on SQLite.
    /// </summary>
    private async Task<IReadOnlyList<Claim>> ClaimOnPostgreSqlAsync(
        PortalDbContext db, ExportStatus[] statuses, int max, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var names = statuses.Select(s => s.ToString()).ToArray();
        var rows = await db.Database.SqlQuery<ClaimedRow>($"""
            UPDATE "ExportRequests" SET "LeaseOwner" = {InstanceId}, "LeaseUntil" = {until}, "LeaseToken" = "LeaseToken" + 1
            WHERE "Id" IN (
                SELECT "Id" FROM "ExportRequests"
                WHERE "Status" = ANY({names}) AND "DeletedAt" IS NULL AND "NextPollAt" <= {now}
                    AND ("LeaseUntil" IS NULL OR "LeaseUntil" < {now})
                ORDER BY "NextPollAt"
                LIMIT {max}
                FOR UPDATE SKIP LOCKED)
            RETURNING "Id", "LeaseToken"
            """).ToListAsync(cancellationToken);
        return [.. rows.Select(r => new Claim(r.Id, r.LeaseToken))];
    }

    private sealed record ClaimedRow(Guid Id, long LeaseToken);

    private async Task ProcessSafelyAsync(Claim claim, double quotaLeft, CancellationToken cancellationToken)
    {
        try
        {
            await ProcessAsync(claim, quotaLeft, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // One bad row must not stop the others: park it for a while and go on.
            LogRowFailed(logger, claim.Id, ex);
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                var retryAt = time.GetUtcNow() + options.Value.ErrorBackoffCap;
                await db.ExportRequests
                    .Where(e => e.Id == claim.Id && e.LeaseOwner == InstanceId && e.LeaseToken == claim.Token)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(e => e.LeaseOwner, (string?)null)
                        .SetProperty(e => e.LeaseUntil, (DateTimeOffset?)null)
                        .SetProperty(e => e.NextPollAt, retryAt), CancellationToken.None);
            }
            catch (Exception releaseError)
            {
                LogRowFailed(logger, claim.Id, releaseError);
            }
        }
    }

    private async Task ProcessAsync(Claim claim, double quotaLeft, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.ExportRequests.Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == claim.Id, cancellationToken);
        if (request is null || request.LeaseOwner != InstanceId || request.LeaseToken != claim.Token || !request.Status.IsTracked())
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
            request.LastError = $"No result after {o.MaxOpenDuration}; the portal stopped waiting.";
            progress.Transition(db, request, ExportStatus.TimedOut, ExportProgress.TrackerActor, request.LastError, now);
        }
        else if (request.LeaseUntil - now < upstreamOptions.Value.Timeout || cancellationToken.IsCancellationRequested)
        {
            // The lease might lapse before the call ends (this pass was slow) or the host is stopping: leave the row
            // to the next claim rather than risk two holders calling at once.
            Release(request, now);
        }
        else if (request.RequestUuid is null)
        {
            await SubmitAsync(db, request, claim, jitter, quotaLeft);
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

        if (await TrySaveAsync(db, claim))
        {
            outbox.Wake();
        }
    }

    /// <summary>
    /// The one code path that posts upstream. The attempt is stored before the POST is sent, so an answer that never
    /// gets stored leaves a trace; once sent, neither the host stopping nor the page going away cancels the POST or
    /// the saving of its answer (the upstream client's timeout and the host's shutdown timeout bound it).
    /// </summary>
    private async Task SubmitAsync(PortalDbContext db, ExportRequest request, Claim claim, double jitter, double quotaLeft)
    {
        request.SubmitAttempts++;
        request.SubmitSentAt = time.GetUtcNow();
        request.Version++;
        if (!await TrySaveAsync(db, claim))
        {
            return;
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var client = scope.ServiceProvider.GetRequiredService<DeviceStatusClient>();
        var result = await client.SubmitAsync(request.Range, request.Format, CancellationToken.None);

        answers.ApplySubmit(db, request, result, time.GetUtcNow(), jitter, quotaLeft);
        if (await TrySaveAsync(db, claim))
        {
            outbox.Wake();
            return;
        }

        // Cancelled or deleted while the POST was under way: that write stands, but an upstream id is kept on the
        // row for the record, and an unknown outcome is noted, so nobody loses track of a job that may be running.
        await KeepLateAnswerAsync(request.Id, result);
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
            if (result is SubmitResult.Accepted accepted && request.RequestUuid is null)
            {
                request.RequestUuid = accepted.RequestUuid;
                request.SubmittedAt = now;
                LogAcceptedAfterStop(logger, id, accepted.RequestUuid);
            }
            request.SubmitSentAt = null;
            ExportProgress.Note(db, request, ExportProgress.UpstreamActor, detail, now);
            try
            {
                await db.SaveChangesAsync(CancellationToken.None);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }
            outbox.Wake();
            return;
        }
    }

    /// <summary>Saves the row's changes only while this claim still holds it (version and fencing token unchanged).</summary>
    private async Task<bool> TrySaveAsync(PortalDbContext db, Claim claim)
    {
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            // A user cancelled or deleted it meanwhile, or another holder claimed it after this lease lapsed.
            LogSuperseded(logger, claim.Id);
            return false;
        }
    }

    private static void Release(ExportRequest request, DateTimeOffset nextPollAt)
    {
        request.LeaseOwner = null;
        request.LeaseUntil = null;
        request.NextPollAt = nextPollAt;
    }

    private async Task ReleaseLeasesAsync()
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await db.ExportRequests
                .Where(e => e.LeaseOwner == InstanceId)
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.LeaseOwner, (string?)null).SetProperty(e => e.LeaseUntil, (DateTimeOffset?)null));
        }
        catch (Exception ex)
        {
            LogReleaseFailed(logger, ex);
        }
    }

    private static TimeSpan Clamp(TimeSpan wait, TimeSpan max) => wait < TimeSpan.Zero ? TimeSpan.Zero : wait > max ? max : wait;

    [LoggerMessage(LogLevel.Error, "Tracker pass failed; retrying after the idle interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Error, "Tracking export request {ExportId} failed; it is parked and retried later")]
    private static partial void LogRowFailed(ILogger logger, Guid exportId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Export request {ExportId} was accepted upstream as {RequestUuid} after it was cancelled or deleted")]
    private static partial void LogAcceptedAfterStop(ILogger logger, Guid exportId, string requestUuid);

    [LoggerMessage(LogLevel.Debug, "Export request {ExportId} changed meanwhile; the tracker's result is dropped")]
    private static partial void LogSuperseded(ILogger logger, Guid exportId);

    [LoggerMessage(LogLevel.Warning, "Releasing the tracker's leases on shutdown failed; they lapse on their own")]
    private static partial void LogReleaseFailed(ILogger logger, Exception ex);
}

/// <summary>A claimed row and the fencing token of that claim.</summary>
internal readonly record struct Claim(Guid Id, long Token);

/// <summary>When the tracker last started a pass: <c>/health</c> reads it.</summary>
public sealed class TrackerHeartbeat
{
    private long ticks;

    public DateTimeOffset? LastBeat
    {
        get
        {
            var value = Interlocked.Read(ref ticks);
            return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
        }
    }

    public void Beat(DateTimeOffset now) => Interlocked.Exchange(ref ticks, now.UtcTicks);
}
