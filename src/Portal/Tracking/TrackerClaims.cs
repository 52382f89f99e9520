using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>A claimed row and the fencing token of that claim.</summary>
public readonly record struct Claim(Guid Id, long Token);

/// <summary>
/// One tracker's claims on due requests: a lease (owner and end) with a fencing token, taken with one atomic UPDATE,
/// and every write of the tracker made only while the claim is still its own. One per tracker: the instance id is
/// what tells its leases apart from another's.
/// </summary>
public sealed partial class TrackerClaims(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<UpstreamOptions> upstreamOptions,
    IOptions<TrackerOptions> options,
    TimeProvider time,
    ILogger<ExportTracker> logger)
{
    private static readonly ExportStatus[] Tracked = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];
    private static readonly ExportStatus[] Polled = [ExportStatus.Submitted, ExportStatus.InProgress];

    // Claims this tracker could not give back because the database was away: given back at the next claim, so a row
    // waits for the database's return, not for its lease to lapse.
    private readonly System.Collections.Concurrent.ConcurrentQueue<Claim> stranded = new();

    /// <summary>Tells this instance's leases apart from another's; ends with the host and process that hold them.</summary>
    public string InstanceId { get; } = $"{Guid.NewGuid():N}@{Environment.MachineName}:{Environment.ProcessId}" is var id && id.Length > 100 ? id[..100] : id;

    /// <summary>
    /// Claims up to <paramref name="max"/> due requests, those waiting for their POST first: a new export must not
    /// wait behind the polls of thousands of open ones when the budget cannot poll them all on time.
    /// </summary>
    public async Task<IReadOnlyList<Claim>> ClaimAsync(int max, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var until = now + options.Value.LeaseDuration;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await ReleaseStrandedAsync(db, now, cancellationToken);
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

    /// <summary>When the next open request is due, if any is.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExportRequests
            .Where(e => Tracked.Contains(e.Status) && e.NextPollAt != null)
            .MinAsync(e => e.NextPollAt, cancellationToken);
    }

    /// <summary>Whether the loaded row is still held by <paramref name="claim"/>.</summary>
    public bool Holds(ExportRequest request, Claim claim) =>
        request.LeaseOwner == InstanceId && request.LeaseToken == claim.Token;

    /// <summary>Whether the row's lease might lapse before an upstream call started <paramref name="now"/> ends.</summary>
    public bool MayLapseDuringACall(ExportRequest request, DateTimeOffset now) =>
        request.LeaseUntil - now < upstreamOptions.Value.Timeout;

    /// <summary>Saves the row's changes only while this claim still holds it (version and fencing token unchanged).</summary>
    public async Task<bool> TrySaveAsync(PortalDbContext db, Claim claim)
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

    /// <summary>Gives a row up until <paramref name="nextPollAt"/>; saved with the row's other changes.</summary>
    public static void Release(ExportRequest request, DateTimeOffset nextPollAt)
    {
        request.LeaseOwner = null;
        request.LeaseUntil = null;
        request.NextPollAt = nextPollAt;
    }

    /// <summary>Gives a row this claim still holds up for <c>Tracking:ErrorBackoffCap</c>, in one statement.</summary>
    public async Task ParkAsync(Claim claim)
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

    /// <summary>
    /// Gives a row this claim still holds back at once, due <paramref name="nextPollAt"/>: its work failed because the
    /// database was away, which is no fault of the row. If the database is still away, the claim is kept and given
    /// back at the next claim.
    /// </summary>
    public async Task GiveBackAsync(Claim claim, DateTimeOffset nextPollAt)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            await GiveBackAsync(db, claim, nextPollAt, CancellationToken.None);
        }
        catch (Exception ex) when (DatabaseErrors.IsUnavailable(ex))
        {
            stranded.Enqueue(claim);
        }
    }

    private async Task ReleaseStrandedAsync(PortalDbContext db, DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (stranded.TryPeek(out var claim))
        {
            await GiveBackAsync(db, claim, now, cancellationToken);
            stranded.TryDequeue(out _);
        }
    }

    private Task<int> GiveBackAsync(PortalDbContext db, Claim claim, DateTimeOffset nextPollAt, CancellationToken cancellationToken) =>
        db.ExportRequests
            .Where(e => e.Id == claim.Id && e.LeaseOwner == InstanceId && e.LeaseToken == claim.Token)
            .ExecuteUpdateAsync(s => s
                .SetProperty(e => e.LeaseOwner, (string?)null)
                .SetProperty(e => e.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(e => e.NextPollAt, nextPollAt), cancellationToken);

    /// <summary>Gives up every lease of this tracker (on stopping); any that remain lapse on their own.</summary>
    public async Task ReleaseAllAsync()
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

    [LoggerMessage(LogLevel.Debug, "Export request {ExportId} changed meanwhile; the tracker's result is dropped")]
    private static partial void LogSuperseded(ILogger logger, Guid exportId);

    [LoggerMessage(LogLevel.Warning, "Releasing the tracker's leases on shutdown failed; they lapse on their own")]
    private static partial void LogReleaseFailed(ILogger logger, Exception ex);
}
