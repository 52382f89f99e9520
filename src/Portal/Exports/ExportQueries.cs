using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>The history grids and the details page.</summary>
public interface IExportQueries
{
    Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default);

    Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);
}

/// <summary>Open requests past the 95th percentile of similar requests' preparation times (the tracker learns them).</summary>
public interface ISlowRequests
{
    Task<IQueryable<ExportRequest>> OnlySlowAsync(IQueryable<ExportRequest> requests, CancellationToken cancellationToken);
}

public sealed class ExportQueries(IDbContextFactory<PortalDbContext> dbFactory, ExportAccess access, ISlowRequests slowRequests) : IExportQueries
{
    /// <summary>
    /// How many matching rows past the start of the page are counted at most. An exact total of a million rows would
    /// cost a scan of them all on every page; a user's own history stays well below this and keeps its exact count.
    /// </summary>
    public const int CountAhead = 10_000;

    public async Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(query);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var requests = Scope(db, user, query);
        if (query.Team is { } team)
        {
            requests = requests.Where(e => e.Team == team);
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
        if (query.Slow)
        {
            requests = await slowRequests.OnlySlowAsync(requests, cancellationToken);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var search = query.Search.Trim();
            var pattern = "%" + search.Replace("\\", "\\\\", StringComparison.Ordinal)
                .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";
            // The format is a column of a few known words: the ones the text is part of are found here, so the database
            // compares the column for equality instead of matching a pattern against it.
            var formats = FileFormats.All.Where(f => f.ApiName().Contains(search, StringComparison.OrdinalIgnoreCase)).ToList();
            // SQLite's LIKE ignores case; PostgreSQL's does not, its ILIKE does. The name is matched in the same pass over
            // the rows as the other columns: no index serves a pattern with a leading %, and the count stays capped.
            requests = db.Database.IsNpgsql()
                ? requests.Where(e => EF.Functions.ILike(e.Name ?? "", pattern, "\\")
                    || formats.Contains(e.Format)
                    || EF.Functions.ILike(e.OwnerName, pattern, "\\")
                    || EF.Functions.ILike(e.OwnerEmail ?? "", pattern, "\\")
                    || EF.Functions.ILike(e.RequestUuid ?? "", pattern, "\\"))
                : requests.Where(e => EF.Functions.Like(e.Name ?? "", pattern, "\\")
                    || formats.Contains(e.Format)
                    || EF.Functions.Like(e.OwnerName, pattern, "\\")
                    || EF.Functions.Like(e.OwnerEmail ?? "", pattern, "\\")
                    || EF.Functions.Like(e.RequestUuid ?? "", pattern, "\\"));
        }

        var pageSize = Math.Clamp(query.PageSize, 1, 500);
        var start = (int)Math.Min((long)Math.Max(query.Page, 0) * pageSize, int.MaxValue - CountAhead - 1);
        var countLimit = start + CountAhead;
        var counted = await requests.Take(countLimit + 1).CountAsync(cancellationToken);
        var lowerBound = counted > countLimit;
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
        // Ties follow the sort's direction, so one index on (column, Id) serves both directions.
        var items = await (query.Descending ? sorted.ThenByDescending(e => e.Id) : sorted.ThenBy(e => e.Id))
            .Skip(start)
            .Take(pageSize)
            .Select(ToSummary)
            .ToListAsync(cancellationToken);
        return new PagedResult<ExportSummary>(items, lowerBound ? countLimit : counted, lowerBound);
    }

    public async Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await ResourceAccess.ReadableExports(db, user).AsNoTracking()
            .Include(e => e.Files)
            .Include(e => e.Events)
            .AsSplitQuery()
            .SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null)
        {
            await access.NotFoundAsync(db, user, id, "View", cancellationToken);
            return null;
        }
        // A deleted original is hidden like any other: the link to it goes with it.
        var rerunOf = request.RerunOf is { } original && await ResourceAccess.ReadableExports(db, user).AnyAsync(e => e.Id == original, cancellationToken) ? request.RerunOf : null;
        var canShare = ResourceAccess.CanShare(user, request);
        return new ExportDetails(
            Summarize(request),
            request.OwnerEmail,
            request.RequestUuid,
            rerunOf,
            [.. request.Files.OrderBy(f => f.Part).Select(f => new ExportFileInfo(
                f.Part, f.Name, f.UrlExpiresAt, PartRows(request.RowCount, request.Files.Count, f.Part)))],
            [.. request.Events.OrderBy(v => v.At).ThenBy(v => v.Id).Select(v => new ExportEventInfo(v.At, v.From, v.To, v.Actor, v.Detail, v.OwnerId != request.OwnerId))])
        {
            CanCancel = ResourceAccess.CanCancel(user, request),
            CanShare = canShare,
            Shares = canShare ? await ExportShares.ReadAsync(db, id, cancellationToken) : [],
        };
    }

    /// <summary>
    /// The rows a list starts from. "Shared with me": those shared with the caller. Otherwise "my exports": the caller's
    /// own and their teams'; an admin's with <see cref="ExportQuery.AllUsers"/> everyone's, with an owner that owner's.
    /// </summary>
    private static IQueryable<ExportRequest> Scope(PortalDbContext db, ExportUser user, ExportQuery query)
    {
        if (query.SharedWithMe)
        {
            return ResourceAccess.SharedWith(db, user);
        }
        if (user.IsAdmin)
        {
            if (query.OwnerId is { } ownerId)
            {
                return db.ExportRequests.Where(e => e.OwnerId == ownerId);
            }
            if (query.AllUsers)
            {
                return db.ExportRequests;
            }
        }
        // An admin's own list is what it would be without the role.
        return ResourceAccess.Readable(db.ExportRequests, user with { IsAdmin = false });
    }

    internal static readonly Expression<Func<ExportRequest, ExportSummary>> ToSummary = e => new ExportSummary(
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
        e.LastError)
    {
        Name = e.Name,
        Team = e.Team,
    };

    internal static readonly Func<ExportRequest, ExportSummary> Summarize = ToSummary.Compile();

    /// <summary>The contract's part size: a result is split into parts of this many rows, the last one holding the rest.</summary>
    public const int RowsPerPart = 1_000_000;

    /// <summary>
    /// Rows in one part, from the total: every part but the last holds exactly <see cref="RowsPerPart"/>. Null when the total is unknown or does not fit that split, as it
    /// would not with an upstream that cuts its parts differently.
    /// </summary>
    private static long? PartRows(long? totalRows, int parts, int part)
    {
        if (totalRows is not { } total || parts < 1 || part < 0 || part >= parts)
        {
            return null;
        }
        var full = (long)(parts - 1) * RowsPerPart;
        var last = total - full;
        if (last < 0 || last > RowsPerPart || (parts > 1 && last == 0))
        {
            return null;
        }
        return part < parts - 1 ? RowsPerPart : last;
    }
}
