using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;

namespace Portal.Destinations;

/// <summary>
/// Delivers completed exports to their destinations from the database: claims each due delivery with a lease and a
/// fencing token (one conditional <c>UPDATE</c>, so two instances never work on one row at once), streams each file from
/// the device platform's link to the destination's writer (the response stream passed through, never held), records
/// each file written, and marks the delivery <c>Delivered</c>, or schedules a retry with a doubling delay, or gives it up
/// (<c>Failed</c>, the reason in words). The lease is renewed while files stream; a worker that loses it stops.
/// Every status change is a timeline entry of the export, so open pages, the bell, emails and webhooks hear of it.
/// </summary>
// One room on purpose, like the webhook sender: claiming, streaming, retrying and recording are one delivery's life
// under one lease and fencing token.
public sealed partial class DeliveryWorker(
    IDbContextFactory<PortalDbContext> dbFactory,
    ResultFileSource source,
    DestinationTargets targets,
    IEnumerable<IDestinationWriter> writers,
    DeliverySignal signal,
    IExportOutbox outbox,
    DatabaseOutage outage,
    TimeProvider time,
    IOptions<DeliveryOptions> options,
    IOptions<DestinationOptions> destinationOptions,
    ILogger<DeliveryWorker> logger) : BackgroundService
{
    private static readonly ExportStatus[] Ended =
        [ExportStatus.Completed, ExportStatus.Failed, ExportStatus.TimedOut, ExportStatus.Cancelled, ExportStatus.Expired];

    private DeliveryOptions Settings => options.Value;

    /// <summary>Claims and works on the deliveries due now; returns how many were claimed.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(cancellationToken);
        await Parallel.ForEachAsync(
            claimed,
            new ParallelOptions { MaxDegreeOfParallelism = Settings.MaxParallelDeliveries, CancellationToken = cancellationToken },
            async (claim, token) =>
            {
                try
                {
                    await DeliverAsync(claim.Id, claim.Token, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException && !outage.Failed(ex, "the delivery worker"))
                {
                    // The lease lapses and another pass tries again.
                    LogDeliveryFailed(logger, claim.Id, ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away (logged once per outage): the lease lapses and a pass tries again after it.
                }
            });
        return claimed.Count;
    }

    private async Task<List<(long Id, long Token)>> ClaimAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        // Due once its export has ended (completed: deliver; otherwise: give up with the reason) or was deleted.
        var due = await db.ExportDeliveries
            .Where(d => (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Delivering)
                && d.NextAttemptAt <= now && (d.LeaseUntil == null || d.LeaseUntil < now)
                && db.ExportRequests.IgnoreQueryFilters().Any(e => e.Id == d.ExportId && (Ended.Contains(e.Status) || e.DeletedAt != null)))
            .OrderBy(d => d.NextAttemptAt)
            .Select(d => new { d.Id, d.LeaseToken })
            .Take(Settings.MaxParallelDeliveries)
            .ToListAsync(cancellationToken);
        var leaseUntil = now + Settings.LeaseDuration;
        var claimed = new List<(long, long)>(due.Count);
        foreach (var row in due)
        {
            var won = await db.ExportDeliveries
                .Where(d => d.Id == row.Id && d.LeaseToken == row.LeaseToken && (d.Status == DeliveryStatus.Pending || d.Status == DeliveryStatus.Delivering))
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseToken, d => d.LeaseToken + 1).SetProperty(d => d.LeaseUntil, leaseUntil), cancellationToken);
            if (won == 1)
            {
                claimed.Add((row.Id, row.LeaseToken + 1));
            }
        }
        return claimed;
    }

    private async Task DeliverAsync(long id, long token, CancellationToken cancellationToken)
    {
        ExportDelivery? delivery;
        ExportRequest? export;
        Destination? destination;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            delivery = await db.ExportDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id && d.LeaseToken == token, cancellationToken);
            if (delivery is null)
            {
                return;
            }
            export = await db.ExportRequests.IgnoreQueryFilters().AsNoTracking().SingleOrDefaultAsync(e => e.Id == delivery.ExportId, cancellationToken);
            destination = await db.Destinations.AsNoTracking().SingleOrDefaultAsync(d => d.Id == delivery.DestinationId, cancellationToken);
        }
        if (export is null || export.DeletedAt is not null)
        {
            await RecordAsync(id, token, DeliveryStatus.Failed, "The export was deleted.", files: null, attempted: false);
            return;
        }
        var name = destination?.Name ?? "the destination";
        if (export.Status != ExportStatus.Completed)
        {
            await RecordAsync(id, token, DeliveryStatus.Failed,
                $"Not delivered to {name}: the export ended {export.Status.DisplayName()}, so there are no files to deliver.", files: null, attempted: false);
            return;
        }
        if (destination is not null && !ResourceAccess.BelongsWith(export, destination))
        {
            // A team's export goes to its team's destinations only, a personal one to its owner's; whoever set them up.
            await RecordAsync(id, token, DeliveryStatus.Failed,
                export.Team is null
                    ? $"Not delivered to {name}: it is not one of the destinations of the export's owner."
                    : $"Not delivered to {name}: it is not one of the destinations of team {export.Team}, whose export this is.",
                files: null, attempted: false);
            return;
        }
        var target = destination is null ? null : await targets.LoadAsync(destination.Id, cancellationToken);
        if (destination is null || target is null)
        {
            await RecordAsync(id, token, DeliveryStatus.Failed, $"Not delivered: {ExportDeliveries.DeletedMessage}", files: null, attempted: false);
            return;
        }
        var kind = DestinationKinds.Name(destination.Kind);
        if (!destinationOptions.Value.EnabledKinds.Contains(kind))
        {
            await RecordAsync(id, token, DeliveryStatus.Failed,
                $"Not delivered to {name}: deliveries to {kind} destinations are turned off (Destinations:Kinds).", files: null, attempted: false);
            return;
        }
        if (writers.FirstOrDefault(w => w.Kind == destination.Kind) is not { } writer)
        {
            throw new InvalidOperationException($"No writer is registered for {kind} destinations.");
        }

        if (!await RecordAsync(id, token, DeliveryStatus.Delivering, $"Delivering to {name}.", files: null, attempted: false))
        {
            return;
        }

        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keeping = KeepLeaseAsync(id, token, attempt);
        var files = DeliveryFiles.Read(delivery.Files).ToList();
        try
        {
            var kept = await DeliverFilesAsync(id, token, export, destination, target, writer, files, attempt.Token);
            await attempt.CancelAsync();
            await keeping;
            if (!kept)
            {
                LogLeaseLost(logger, id);
                return;
            }
            var bytes = files.Sum(f => f.Bytes);
            await RecordAsync(id, token, DeliveryStatus.Delivered,
                string.Create(CultureInfo.InvariantCulture, $"Delivered to {name}: {files.Count} {(files.Count == 1 ? "file" : "files")}, {bytes:N0} bytes."),
                files, attempted: false);
            LogDelivered(logger, id, files.Count, bytes);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping: the delivery is handed back now, not counted as an attempt, rather than left to its lease.
            await attempt.CancelAsync();
            await keeping;
            await ReleaseAsync(id, token);
            throw;
        }
        catch (OperationCanceledException) when (attempt.IsCancellationRequested)
        {
            // The lease was lost (another worker holds the row now): its record wins.
            await keeping;
            LogLeaseLost(logger, id);
        }
        catch (BudgetFullException)
        {
            await attempt.CancelAsync();
            await keeping;
            await PostponeAsync(id, token, files);
        }
        catch (Exception ex) when (Problem(ex, name) is { } problem)
        {
            await attempt.CancelAsync();
            await keeping;
            await FailAttemptAsync(id, token, name, problem.Message, problem.Permanent, files);
        }
    }

    /// <summary>Streams each file not written by an earlier attempt, recording each as it is written; false when the lease was lost.</summary>
    private async Task<bool> DeliverFilesAsync(long id, long token, ExportRequest export, Destination destination, DestinationTarget target, IDestinationWriter writer,
        List<DeliveryFileEntry> files, CancellationToken cancellationToken)
    {
        // A team's export is fetched on the team's behalf: its author may have left the team since.
        var owner = new ExportUser(export.OwnerId, export.OwnerName, export.OwnerEmail, IsAdmin: false) { Teams = export.Team is null ? [] : [export.Team] };
        var set = await source.FilesAsync(owner, export.Id, renew: false, cancellationToken)
            ?? throw new DeliveryProblemException("The device platform no longer keeps the files of this export.", permanent: true);
        foreach (var file in set.Files.OrderBy(f => f.Part))
        {
            // Written and recorded by an earlier attempt: not uploaded twice.
            if (files.Any(f => f.Name == file.Name))
            {
                continue;
            }
            // {part} counts from 1, as people number files; the device platform's parts count from 0.
            var path = DestinationPaths.Render(destination.PathTemplate, new ExportPathValues(
                export.Id, export.DisplayName, export.Format.ApiName(), export.RangeFrom, export.RangeTo, file.Part + 1, export.Format.Extension()));
            HttpResponseMessage response;
            try
            {
                response = await source.OpenAsync(file.Url, file.Name, cancellationToken);
            }
            catch (LinkRefusedException)
            {
                // Expired or revoked before its stored expiry: one fresh link, asked for upstream, and one more try.
                set = await source.FilesAsync(owner, export.Id, renew: true, cancellationToken)
                    ?? throw new DeliveryProblemException("The device platform no longer keeps the files of this export.", permanent: true);
                var renewed = set.Files.FirstOrDefault(f => f.Part == file.Part)
                    ?? throw new DeliveryProblemException($"The device platform no longer lists {file.Name}.", permanent: true);
                try
                {
                    response = await source.OpenAsync(renewed.Url, file.Name, cancellationToken);
                }
                catch (LinkRefusedException)
                {
                    throw new DeliveryProblemException($"The file host refused the link to {file.Name} even after it was renewed.", permanent: false);
                }
            }
            using (response)
            {
                var length = response.Content.Headers.ContentLength;
                await using var content = await response.Content.ReadAsStreamAsync(cancellationToken);
                var written = await writer.WriteAsync(target, path, content, length, cancellationToken);
                files.Add(new DeliveryFileEntry(file.Name, written.Path, written.Bytes));
            }
            if (!await RecordFilesAsync(id, token, files))
            {
                return false;
            }
        }
        return true;
    }

    private static (string Message, bool Permanent)? Problem(Exception ex, string destinationName) => ex switch
    {
        DestinationFailure failure => (failure.Message, failure.Permanent),
        DeliveryProblemException problem => (problem.Message, problem.Permanent),
        HttpRequestException or IOException => ($"Reading the file from the file host failed: {ex.Message}", false),
        TimeoutException => ($"{destinationName} did not answer in time.", false),
        _ => null,
    };

    /// <summary>Renews the lease while files stream; cancels the attempt when another worker took the row.</summary>
    private async Task KeepLeaseAsync(long id, long token, CancellationTokenSource attempt)
    {
        var every = Settings.LeaseDuration / 3;
        try
        {
            while (true)
            {
                await Task.Delay(every, time, attempt.Token);
                await using var db = await dbFactory.CreateDbContextAsync(attempt.Token);
                var until = time.GetUtcNow() + Settings.LeaseDuration;
                var kept = await db.ExportDeliveries.Where(d => d.Id == id && d.LeaseToken == token)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until), attempt.Token);
                if (kept == 0)
                {
                    await attempt.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (outage.Failed(ex, "the delivery worker"))
        {
            // The database is away: the lease is not renewed, and lapses if the outage outlasts it.
        }
    }

    private async Task<bool> RecordFilesAsync(long id, long token, IReadOnlyList<DeliveryFileEntry> files)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var until = time.GetUtcNow() + Settings.LeaseDuration;
        var json = DeliveryFiles.Write(files);
        return await db.ExportDeliveries.Where(d => d.Id == id && d.LeaseToken == token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Files, json).SetProperty(d => d.LeaseUntil, until), CancellationToken.None) == 1;
    }

    /// <summary>Hands the row back for the next pass (the host stops): no attempt counted, no change told.</summary>
    private async Task ReleaseAsync(long id, long token)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.ExportDeliveries.Where(d => d.Id == id && d.LeaseToken == token)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Pending).SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    private async Task PostponeAsync(long id, long token, IReadOnlyList<DeliveryFileEntry> files)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var next = time.GetUtcNow() + Settings.BudgetWait;
        var json = DeliveryFiles.Write(files);
        await db.ExportDeliveries.Where(d => d.Id == id && d.LeaseToken == token)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.NextAttemptAt, next)
                .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(d => d.Files, json), CancellationToken.None);
    }

    private async Task FailAttemptAsync(long id, long token, string destinationName, string error, bool permanent, IReadOnlyList<DeliveryFileEntry> files)
    {
        int attempts;
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            attempts = await db.ExportDeliveries.Where(d => d.Id == id && d.LeaseToken == token).Select(d => d.Attempts).SingleOrDefaultAsync(CancellationToken.None) + 1;
        }
        if (permanent || attempts >= Settings.MaxAttempts)
        {
            var reason = permanent ? error : $"{error} Given up after {attempts} attempts.";
            await RecordAsync(id, token, DeliveryStatus.Failed, $"Not delivered to {destinationName}: {reason}", files, attempted: true, error: reason);
            LogGivenUp(logger, id, reason);
            return;
        }
        var next = time.GetUtcNow() + RetryDelay(attempts);
        await RecordAsync(id, token, DeliveryStatus.Pending,
            string.Create(CultureInfo.InvariantCulture, $"Delivery to {destinationName} failed (attempt {attempts}): {error} Next attempt at {next.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC."),
            files, attempted: true, error: error, nextAttemptAt: next);
        LogRetryScheduled(logger, id, error, next);
    }

    private TimeSpan RetryDelay(int attempts)
    {
        var factor = Math.Pow(2, Math.Min(attempts - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(Settings.MaxRetryDelay.Ticks, Settings.RetryDelay.Ticks * factor));
    }

    /// <summary>
    /// Stores the delivery's new status with the export's timeline entry (and notice) in one transaction, conditional on
    /// the token; false when another worker holds the row now. While the database is away the record waits for it.
    /// </summary>
    private async Task<bool> RecordAsync(long id, long token, DeliveryStatus status, string detail, IReadOnlyList<DeliveryFileEntry>? files, bool attempted,
        string? error = null, DateTimeOffset? nextAttemptAt = null)
    {
        var pause = TimeSpan.FromMilliseconds(250);
        for (var tries = 0; ; tries++)
        {
            try
            {
                return await TryRecordAsync(id, token, status, detail, files, attempted, error, nextAttemptAt);
            }
            catch (DbUpdateConcurrencyException) when (tries < 5)
            {
                // The export changed meanwhile (a download, the tracker): read it again.
            }
            catch (Exception ex) when (outage.Failed(ex, "the delivery worker") && tries < 40)
            {
                await Task.Delay(pause, time, CancellationToken.None);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task<bool> TryRecordAsync(long id, long token, DeliveryStatus status, string detail, IReadOnlyList<DeliveryFileEntry>? files, bool attempted,
        string? error, DateTimeOffset? nextAttemptAt)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var delivery = await db.ExportDeliveries.SingleOrDefaultAsync(d => d.Id == id && d.LeaseToken == token, CancellationToken.None);
        if (delivery is null)
        {
            LogLeaseLost(logger, id);
            return false;
        }
        var now = time.GetUtcNow();
        delivery.Status = status;
        delivery.UpdatedAt = now;
        if (files is not null)
        {
            delivery.Files = DeliveryFiles.Write(files);
        }
        if (attempted)
        {
            delivery.Attempts++;
        }
        switch (status)
        {
            case DeliveryStatus.Delivering:
                break;
            case DeliveryStatus.Delivered:
                delivery.Error = null;
                delivery.DeliveredAt = now;
                delivery.NextAttemptAt = null;
                delivery.LeaseUntil = null;
                break;
            case DeliveryStatus.Failed:
                delivery.Error = ExportProgress.Truncate(error ?? detail);
                delivery.NextAttemptAt = null;
                delivery.LeaseUntil = null;
                break;
            case DeliveryStatus.Pending:
                delivery.Error = ExportProgress.Truncate(error);
                delivery.NextAttemptAt = nextAttemptAt ?? now;
                delivery.LeaseUntil = null;
                break;
        }
        var export = await db.ExportRequests.IgnoreQueryFilters().SingleAsync(e => e.Id == delivery.ExportId, CancellationToken.None);
        if (export.DeletedAt is null)
        {
            ExportProgress.Delivery(db, export, delivery.Id, status, detail, now);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        outbox.Wake();
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Settings.Enabled)
        {
            return;
        }
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var mark = outage.Mark;
                while (await DeliverDueAsync(stoppingToken) == Settings.MaxParallelDeliveries)
                {
                }
                outage.Succeeded("the delivery worker", mark);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                if (!outage.Failed(ex, "the delivery worker"))
                {
                    LogPassFailed(logger, ex);
                }
            }
            try
            {
                await signal.WaitAsync(Settings.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Error, "Delivery {DeliveryId} failed unexpectedly; its lease lapses and it is tried again")]
    private static partial void LogDeliveryFailed(ILogger logger, long deliveryId, Exception ex);

    [LoggerMessage(LogLevel.Error, "A delivery worker pass failed; retrying after the poll interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Delivery {DeliveryId} was claimed by another worker meanwhile; its record is kept")]
    private static partial void LogLeaseLost(ILogger logger, long deliveryId);

    [LoggerMessage(LogLevel.Information, "Delivery {DeliveryId} failed ({Error}); next attempt at {NextAttemptAt:O}")]
    private static partial void LogRetryScheduled(ILogger logger, long deliveryId, string error, DateTimeOffset nextAttemptAt);

    [LoggerMessage(LogLevel.Warning, "Delivery {DeliveryId} given up: {Reason}")]
    private static partial void LogGivenUp(ILogger logger, long deliveryId, string reason);

    [LoggerMessage(LogLevel.Information, "Delivery {DeliveryId} delivered {Files} files, {Bytes} bytes")]
    private static partial void LogDelivered(ILogger logger, long deliveryId, int files, long bytes);
}
