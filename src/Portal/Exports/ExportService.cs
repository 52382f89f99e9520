using System.Collections.Concurrent;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Exports;

/// <summary>
/// The export operations behind the pages and endpoints. Every query and command is scoped to its owner unless
/// the caller is an admin; another user's request is "not found".
/// </summary>
public sealed partial class ExportService(
    IDbContextFactory<PortalDbContext> dbFactory,
    DeviceStatusClient client,
    ExportProgress progress,
    IExportEvents events,
    SubmissionGate gate,
    PollBudget budget,
    TrackerSignal trackerSignal,
    UpstreamMonitor monitor,
    ReadyEstimates readyEstimates,
    AuditLog audit,
    TimeProvider time,
    IOptions<ExportsOptions> options,
    IOptions<UpstreamOptions> upstreamOptions,
    ILogger<ExportService> logger) : IExportService
{
    private const string SubmitLease = "submit";

    private static readonly ExportStatus[] Open = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress];

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, rerunOf: null, cancellationToken);

    public async Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        ArgumentNullException.ThrowIfNull(user);
        var original = await Scoped(db.ExportRequests, user).Where(e => e.Id == id)
            .Select(e => new { e.OwnerId, e.RangeFrom, e.RangeTo, e.Format })
            .SingleOrDefaultAsync(cancellationToken);
        if (original is null)
        {
            await AuditNotFoundAsync(db, user, id, "Rerun", cancellationToken);
            return null;
        }
        AuditAdminAction(user, original.OwnerId, "Rerun", id);
        return await SubmitAsync(user, new TimeRange(original.RangeFrom, original.RangeTo), original.Format, id, cancellationToken);
    }

    private async Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, Guid? rerunOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var o = options.Value;
        var now = time.GetUtcNow();
        var errors = ExportValidation.Validate(range, format, now, o);
        if (errors.Count > 0)
        {
            return new SubmitOutcome.Invalid(errors);
        }

        ExportRequest request;
        using (await gate.EnterAsync(user.Id, cancellationToken))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var recentStart = now - o.DuplicateWindow;
            var duplicate = await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt >= recentStart && e.RangeFrom == range.From && e.RangeTo == range.To
                    && e.Format == format && e.RerunOf == rerunOf && e.Status != ExportStatus.Failed && e.Status != ExportStatus.Cancelled)
                .OrderByDescending(e => e.CreatedAt)
                .Select(ToSummary)
                .FirstOrDefaultAsync(cancellationToken);
            if (duplicate is not null)
            {
                return new SubmitOutcome.Accepted(duplicate);
            }

            var minuteAgo = now - TimeSpan.FromMinutes(1);
            var lastMinute = await db.ExportRequests
                .Where(e => e.OwnerId == user.Id && e.CreatedAt > minuteAgo)
                .OrderBy(e => e.CreatedAt)
                .Select(e => e.CreatedAt)
                .ToListAsync(cancellationToken);
            if (lastMinute.Count >= o.MaxSubmissionsPerMinute)
            {
                var retryAfter = lastMinute[lastMinute.Count - o.MaxSubmissionsPerMinute] + TimeSpan.FromMinutes(1) - now;
                return new SubmitOutcome.Throttled(retryAfter > TimeSpan.Zero ? retryAfter : TimeSpan.FromSeconds(1));
            }

            request = new ExportRequest
            {
                Id = Guid.CreateVersion7(now),
                OwnerId = user.Id,
                OwnerName = user.Name,
                OwnerEmail = user.Email,
                RangeFrom = range.From,
                RangeTo = range.To,
                Format = format,
                Status = ExportStatus.Queued,
                CreatedAt = now,
                UpdatedAt = now,
                RerunOf = rerunOf,
                SubmitAttempts = 1,
                NextPollAt = now,
                // Keeps the tracker off the row while this call sends the POST: one job per request.
                LeaseOwner = SubmitLease,
                LeaseUntil = now + upstreamOptions.Value.Timeout + TimeSpan.FromSeconds(30),
            };
            db.ExportRequests.Add(request);
            db.ExportEvents.Add(new ExportEvent
            {
                ExportId = request.Id,
                At = now,
                To = ExportStatus.Queued,
                Actor = user.Name,
                Detail = rerunOf is null ? "Requested." : $"Requested again (re-run of {rerunOf}).",
            });
            await db.SaveChangesAsync(cancellationToken);
        }
        await events.PublishAsync(ExportProgress.Changed(request, null, null, now), cancellationToken);

        // Not the caller's token: once sent, the answer must be stored whether or not the page is still there.
        budget.Record(time.GetUtcNow());
        var result = await client.SubmitAsync(range, format, CancellationToken.None);

        ExportChanged? change = null;
        await using (var db = await dbFactory.CreateDbContextAsync(CancellationToken.None))
        {
            var stored = await db.ExportRequests.Include(e => e.Files).SingleAsync(e => e.Id == request.Id, CancellationToken.None);
            if (stored.Status == ExportStatus.Queued && stored.RequestUuid is null)
            {
                change = progress.ApplySubmit(db, stored, result, time.GetUtcNow(), Random.Shared.NextDouble());
                try
                {
                    await db.SaveChangesAsync(CancellationToken.None);
                }
                catch (DbUpdateConcurrencyException)
                {
                    change = null;
                }
            }
            else if (result is SubmitResult.Accepted accepted)
            {
                LogAcceptedAfterCancel(logger, request.Id, accepted.RequestUuid);
            }
            request = stored;
        }

        if (change is not null)
        {
            await events.PublishAsync(change, CancellationToken.None);
        }
        if (request.Status == ExportStatus.Queued)
        {
            trackerSignal.Wake();
        }
        return new SubmitOutcome.Accepted(await GetSummaryAsync(request.Id, CancellationToken.None));
    }

    public async Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        if (range.To > now)
        {
            // A range that reaches into the future may still gain rows.
            return null;
        }
        var retainedSince = now - options.Value.UpstreamRetention + options.Value.RenewLinksBefore;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExportRequests
            .Where(e => e.OwnerId == user.Id && e.Status == ExportStatus.Completed && e.RangeFrom == range.From && e.RangeTo == range.To
                && e.Format == format && e.CompletedAt > retainedSince && e.CompletedAt <= now)
            .OrderByDescending(e => e.CompletedAt)
            .Select(ToSummary)
            .FirstOrDefaultAsync(cancellationToken);
    }

    public async Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        IQueryable<ExportRequest> requests = db.ExportRequests;
        if (!user.IsAdmin)
        {
            requests = requests.Where(e => e.OwnerId == user.Id);
        }
        else if (query.OwnerId is { } ownerId)
        {
            requests = requests.Where(e => e.OwnerId == ownerId);
        }
        else if (!query.AllUsers)
        {
            requests = requests.Where(e => e.OwnerId == user.Id);
        }

        if (query.Status is { } status)
        {
            requests = requests.Where(e => e.Status == status);
        }
        if (query.Format is { } format)
        {
            requests = requests.Where(e => e.Format == format);
        }
        if (query.CreatedFrom is { } createdFrom)
        {
            requests = requests.Where(e => e.CreatedAt >= createdFrom);
        }
        if (query.CreatedTo is { } createdTo)
        {
            requests = requests.Where(e => e.CreatedAt < createdTo);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = "%" + query.Search.Trim().Replace("\\", "\\\\", StringComparison.Ordinal)
                .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            requests = requests.Where(e => EF.Functions.Like(e.OwnerName, pattern, "\\")
                || EF.Functions.Like(e.OwnerEmail ?? "", pattern, "\\")
                || EF.Functions.Like(e.RequestUuid ?? "", pattern, "\\"));
        }
        if (query.Slow)
        {
            requests = await readyEstimates.OnlySlowAsync(requests, cancellationToken);
        }

        var total = await requests.CountAsync(cancellationToken);
        var sorted = (query.SortBy, query.Descending) switch
        {
            (ExportSort.UpdatedAt, false) => requests.OrderBy(e => e.UpdatedAt),
            (ExportSort.UpdatedAt, true) => requests.OrderByDescending(e => e.UpdatedAt),
            (ExportSort.Status, false) => requests.OrderBy(e => e.Status),
            (ExportSort.Status, true) => requests.OrderByDescending(e => e.Status),
            (ExportSort.Format, false) => requests.OrderBy(e => e.Format),
            (ExportSort.Format, true) => requests.OrderByDescending(e => e.Format),
            (ExportSort.RangeFrom, false) => requests.OrderBy(e => e.RangeFrom),
            (ExportSort.RangeFrom, true) => requests.OrderByDescending(e => e.RangeFrom),
            (ExportSort.Owner, false) => requests.OrderBy(e => e.OwnerName),
            (ExportSort.Owner, true) => requests.OrderByDescending(e => e.OwnerName),
            (_, false) => requests.OrderBy(e => e.CreatedAt),
            _ => requests.OrderByDescending(e => e.CreatedAt),
        };
        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var items = await sorted.ThenByDescending(e => e.Id)
            .Skip(Math.Max(query.Page, 0) * pageSize)
            .Take(pageSize)
            .Select(ToSummary)
            .ToListAsync(cancellationToken);
        return new PagedResult<ExportSummary>(items, total);
    }

    public async Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await Scoped(db.ExportRequests, user).AsNoTracking()
            .Include(e => e.Files)
            .Include(e => e.Events)
            .AsSplitQuery()
            .SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null)
        {
            await AuditNotFoundAsync(db, user, id, "View", cancellationToken);
            return null;
        }
        return new ExportDetails(
            Summarize(request),
            request.OwnerEmail,
            request.RequestUuid,
            request.RerunOf,
            [.. request.Files.OrderBy(f => f.Part).Select(f => new ExportFileInfo(
                f.Part, f.Name, f.UrlExpiresAt, PartRows(request.RowCount, request.Files.Count, f.Part)))],
            [.. request.Events.OrderBy(v => v.At).ThenBy(v => v.Id).Select(v => new ExportEventInfo(v.At, v.From, v.To, v.Actor, v.Detail))]);
    }

    public async Task<bool> CancelAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await Scoped(db.ExportRequests, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await AuditNotFoundAsync(db, user, id, "Cancel", cancellationToken);
                return false;
            }
            if (!request.Status.IsOpen())
            {
                return false;
            }
            var now = time.GetUtcNow();
            var change = progress.Transition(db, request, ExportStatus.Cancelled, user.Name, "Tracking stopped.", now);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // The tracker wrote an answer meanwhile; look again.
                continue;
            }
            AuditAdminAction(user, request.OwnerId, "Cancel", id);
            await events.PublishAsync(change, cancellationToken);
            return true;
        }
        return false;
    }

    public async Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var ownerId = await Scoped(db.ExportRequests, user).Where(e => e.Id == id).Select(e => e.OwnerId).SingleOrDefaultAsync(cancellationToken);
        if (ownerId is null)
        {
            await AuditNotFoundAsync(db, user, id, "Delete", cancellationToken);
            return false;
        }
        if (await db.ExportRequests.Where(e => e.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
        {
            return false;
        }
        AuditAdminAction(user, ownerId, "Delete", id);
        return true;
    }

    public async Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await Scoped(db.ExportRequests, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await AuditNotFoundAsync(db, user, id, "Download", cancellationToken);
                return null;
            }
            var file = request.Files.FirstOrDefault(f => f.Part == part);
            if (request is not { Status: ExportStatus.Completed, RequestUuid: { } uuid } || file is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            ExportChanged? change = null;
            if (file.UrlExpiresAt - now < options.Value.RenewLinksBefore)
            {
                budget.Record(now);
                var status = await client.GetStatusAsync(uuid, cancellationToken);
                now = time.GetUtcNow();
                switch (status)
                {
                    case StatusResult.Found { Status: { State: UpstreamState.Completed } fresh }:
                        ExportProgress.StoreFiles(request, fresh, now);
                        break;
                    case StatusResult.NotFound:
                        request.LastError = "The upstream no longer keeps the files of this export.";
                        change = progress.Transition(db, request, ExportStatus.Expired, ExportProgress.UpstreamActor, request.LastError, now);
                        break;
                    default:
                        if (file.UrlExpiresAt <= now)
                        {
                            return null;
                        }
                        break;
                }
            }

            if (change is null)
            {
                request.Version++;
                db.ExportEvents.Add(new ExportEvent
                {
                    ExportId = request.Id,
                    At = now,
                    From = ExportStatus.Completed,
                    To = ExportStatus.Completed,
                    Actor = user.Name,
                    Detail = $"Downloaded {file.Name}.",
                });
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }

            if (change is not null)
            {
                await events.PublishAsync(change, cancellationToken);
                return null;
            }
            return new DownloadLink(new Uri(file.Url), file.UrlExpiresAt, file.Name);
        }
        return null;
    }

    public async Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExportNotices
            .Where(n => n.OwnerId == user.Id)
            .OrderByDescending(n => n.At)
            .ThenByDescending(n => n.Id)
            .Take(Math.Clamp(max, 0, 500))
            .Select(n => new ExportNotice(n.Id, n.ExportId, n.Status, n.At, n.Text, n.Read))
            .ToListAsync(cancellationToken);
    }

    public async Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ExportNotices
            .Where(n => n.OwnerId == user.Id && !n.Read)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Read, true), cancellationToken);
    }

    public async Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (!user.IsAdmin)
        {
            return null;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var created = await db.ExportRequests
            .Where(e => e.CreatedAt >= since)
            .Select(e => new { e.CreatedAt, e.Status, e.Format, e.CompletedAt, e.LastError })
            .ToListAsync(cancellationToken);

        var perDay = created
            .GroupBy(e => (Day: DateOnly.FromDateTime(e.CreatedAt.UtcDateTime), e.Status))
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Status)
            .Select(g => new DailyStatusCount(g.Key.Day, g.Key.Status, g.Count()))
            .ToList();

        var durations = created
            .Where(e => e.Status is ExportStatus.Completed or ExportStatus.Expired && e.CompletedAt is not null)
            .GroupBy(e => e.Format)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var seconds = g.Select(e => Math.Max(0, (e.CompletedAt!.Value - e.CreatedAt).TotalSeconds)).Order().ToArray();
                return new FormatDurations(g.Key, seconds.Length, Percentile(seconds, 0.5), Percentile(seconds, 0.9), Percentile(seconds, 0.95));
            })
            .ToList();

        var failures = created
            .Where(e => e.Status is ExportStatus.Failed or ExportStatus.TimedOut)
            .GroupBy(e => e.Status == ExportStatus.TimedOut ? "Timed out" : e.LastError ?? "Unknown")
            .OrderByDescending(g => g.Count())
            .Select(g => new FailureReasonCount(g.Key, g.Count()))
            .ToList();

        var open = await db.ExportRequests
            .Where(e => Open.Contains(e.Status))
            .GroupBy(e => e.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() })
            .ToListAsync(cancellationToken);

        return new ExportStatistics(
            perDay,
            durations,
            failures,
            open.ToDictionary(o => o.Status, o => o.Count),
            monitor.Snapshot());
    }

    private async Task<ExportSummary> GetSummaryAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExportRequests.Where(e => e.Id == id).Select(ToSummary).SingleAsync(cancellationToken);
    }

    /// <summary>
    /// Rows in one part, from the total: every part but the last holds exactly
    /// <see cref="DeviceStatusClient.RowsPerPart"/>. Null when the total is unknown or does not fit that split, as it
    /// would not with an upstream that cuts its parts differently.
    /// </summary>
    private static long? PartRows(long? totalRows, int parts, int part)
    {
        if (totalRows is not { } total || parts < 1 || part < 0 || part >= parts)
        {
            return null;
        }
        var full = (long)(parts - 1) * DeviceStatusClient.RowsPerPart;
        var last = total - full;
        if (last < 0 || last > DeviceStatusClient.RowsPerPart || (parts > 1 && last == 0))
        {
            return null;
        }
        return part < parts - 1 ? DeviceStatusClient.RowsPerPart : last;
    }

    /// <summary>Another user's request is answered as not found; the attempt is still worth an audit entry.</summary>
    private async Task AuditNotFoundAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        if (!user.IsAdmin && await db.ExportRequests.AnyAsync(e => e.Id == id, cancellationToken))
        {
            audit.AccessDenied(user.Id, operation, id);
        }
    }

    private void AuditAdminAction(ExportUser user, string ownerId, string action, Guid id)
    {
        if (user.IsAdmin && ownerId != user.Id)
        {
            audit.AdminAction(user.Id, action, id, ownerId);
        }
    }

    private static IQueryable<ExportRequest> Scoped(IQueryable<ExportRequest> requests, ExportUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsAdmin ? requests : requests.Where(e => e.OwnerId == user.Id);
    }

    private static double Percentile(double[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    private static readonly Func<ExportRequest, ExportSummary> Summarize = ToSummaryExpression().Compile();

    private static readonly Expression<Func<ExportRequest, ExportSummary>> ToSummary = ToSummaryExpression();

    private static Expression<Func<ExportRequest, ExportSummary>> ToSummaryExpression() => e => new ExportSummary(
        e.Id,
        e.OwnerId,
        e.OwnerName,
        new TimeRange(e.RangeFrom, e.RangeTo),
        e.Format,
        e.Status,
        e.CreatedAt,
        e.UpdatedAt,
        e.CompletedAt,
        e.RowCount,
        e.Files.Count,
        e.LastError);

    [LoggerMessage(LogLevel.Warning, "Export request {ExportId} was accepted upstream as {RequestUuid} after it was cancelled or deleted")]
    private static partial void LogAcceptedAfterCancel(ILogger logger, Guid exportId, string requestUuid);
}

/// <summary>One submission at a time per user, so a double click is seen as one.</summary>
public sealed class SubmissionGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public async Task<IDisposable> EnterAsync(string userId, CancellationToken cancellationToken)
    {
        var semaphore = gates.GetOrAdd(userId, _ => new SemaphoreSlim(1, 1));
        await semaphore.WaitAsync(cancellationToken);
        return new Release(semaphore);
    }

    private sealed class Release(SemaphoreSlim semaphore) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                semaphore.Release();
            }
        }
    }
}
