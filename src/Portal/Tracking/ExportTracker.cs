using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Hosting;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// Follows open export requests upstream. Each pass claims the due rows with one atomic UPDATE (a lease), asks
/// the upstream about each, writes every change (row, event, notice) in one transaction and publishes it. The
/// rows are the schedule: a restart or a second instance picks up exactly where they say.
/// </summary>
public sealed partial class ExportTracker(
    IDbContextFactory<PortalDbContext> dbFactory,
    IServiceScopeFactory scopeFactory,
    ExportProgress progress,
    PreparationEstimator estimator,
    PollBudget budget,
    IExportEvents events,
    TrackerSignal signal,
    TrackerHeartbeat heartbeat,
    ExportMetrics metrics,
    IOptions<ExportsOptions> exportsOptions,
    UpstreamEndpoint endpoint,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<TrackerOptions> options,
    ILogger<ExportTracker> logger) : BackgroundService
{
    private static readonly ExportStatus[] Open = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];

    /// <summary>Tells this instance's leases apart from another's.</summary>
    public string InstanceId { get; } = $"{Guid.NewGuid():N}@{Environment.MachineName}" is var id && id.Length > 100 ? id[..100] : id;

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
        await ExpireBeyondRetentionAsync(now, cancellationToken);
        var room = Math.Min(o.BatchSize, budget.Available(now));
        if (room == 0)
        {
            return Clamp(budget.NextFreeAt(now) - now, o.IdleInterval);
        }

        var claimed = await ClaimAsync(room, now, cancellationToken);
        if (claimed.Count > 0)
        {
            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = o.MaxParallelCalls, CancellationToken = cancellationToken },
                async (id, ct) => await ProcessSafelyAsync(id, ct));
        }

        if (claimed.Count == room)
        {
            return TimeSpan.Zero;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await db.ExportRequests
            .Where(e => Open.Contains(e.Status) && e.NextPollAt != null)
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

        var changes = expired
            .Select(request => progress.Transition(db, request, ExportStatus.Expired, ExportProgress.TrackerActor,
                $"The upstream keeps results for {exportsOptions.Value.UpstreamRetention.TotalHours:0.#} hours.", now))
            .ToList();
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance or a download got there first; the next pass sees what is left.
            return;
        }
        foreach (var change in changes)
        {
            await events.PublishAsync(change, cancellationToken);
        }
    }

    private async Task<IReadOnlyList<Guid>> ClaimAsync(int max, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + options.Value.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = db.ExportRequests
            .Where(e => Open.Contains(e.Status) && e.NextPollAt <= now && (e.LeaseUntil == null || e.LeaseUntil < now))
            .OrderBy(e => e.NextPollAt)
            .Select(e => e.Id)
            .Take(max);

        // One statement: SQLite runs it under its write lock, so two instances never claim the same row.
        var count = await db.ExportRequests
            .Where(e => due.Contains(e.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.LeaseOwner, InstanceId).SetProperty(e => e.LeaseUntil, until), cancellationToken);
        if (count == 0)
        {
            return [];
        }
        return await db.ExportRequests
            .Where(e => e.LeaseOwner == InstanceId && e.LeaseUntil == until)
            .Select(e => e.Id)
            .ToListAsync(cancellationToken);
    }

    private async Task ProcessSafelyAsync(Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await ProcessAsync(id, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // One bad row must not stop the others: park it for a while and go on.
            LogRowFailed(logger, id, ex);
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                var retryAt = time.GetUtcNow() + options.Value.ErrorBackoffCap;
                await db.ExportRequests
                    .Where(e => e.Id == id && e.LeaseOwner == InstanceId)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(e => e.LeaseOwner, (string?)null)
                        .SetProperty(e => e.LeaseUntil, (DateTimeOffset?)null)
                        .SetProperty(e => e.NextPollAt, retryAt), CancellationToken.None);
            }
            catch (Exception releaseError)
            {
                LogRowFailed(logger, id, releaseError);
            }
        }
    }

    private async Task ProcessAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await db.ExportRequests.Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null || request.LeaseOwner != InstanceId || !request.Status.IsOpen())
        {
            return;
        }
        using var span = PortalActivity.StartForExport("tracker.request", id, request.TraceParent);

        var o = options.Value;
        var now = time.GetUtcNow();
        var jitter = Random.Shared.NextDouble();
        ExportChanged? change;
        if (now - request.CreatedAt > o.MaxOpenDuration)
        {
            request.LastError = $"No result after {o.MaxOpenDuration}; the portal stopped waiting.";
            change = progress.Transition(db, request, ExportStatus.TimedOut, ExportProgress.TrackerActor, request.LastError, now);
        }
        else if (!budget.TryTake(now))
        {
            // Another pass or a user took the budget meanwhile: come back when there is room.
            request.LeaseOwner = null;
            request.LeaseUntil = null;
            request.NextPollAt = budget.NextFreeAt(now);
            change = null;
        }
        else
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var client = scope.ServiceProvider.GetRequiredService<DeviceStatusClient>();
            if (request.RequestUuid is null)
            {
                request.SubmitAttempts++;
                var submitted = await client.SubmitAsync(request.Range, request.Format, cancellationToken);
                change = progress.ApplySubmit(db, request, submitted, time.GetUtcNow(), jitter);
            }
            else
            {
                request.Polls++;
                metrics.Poll();
                var status = await client.GetStatusAsync(request.RequestUuid, cancellationToken);
                change = progress.ApplyStatus(db, request, status, time.GetUtcNow(), jitter);
            }
        }

        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            // A user cancelled or deleted it meanwhile; their write stands.
            LogSuperseded(logger, id);
            return;
        }

        if (change is not null)
        {
            await events.PublishAsync(change, CancellationToken.None);
        }
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

    [LoggerMessage(LogLevel.Debug, "Export request {ExportId} changed meanwhile; the tracker's result is dropped")]
    private static partial void LogSuperseded(ILogger logger, Guid exportId);

    [LoggerMessage(LogLevel.Warning, "Releasing the tracker's leases on shutdown failed; they lapse on their own")]
    private static partial void LogReleaseFailed(ILogger logger, Exception ex);
}

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
