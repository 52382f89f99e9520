using Portal.Security;
using Portal.Exports;

namespace Portal.Tests.Fakes;

/// <summary>The export services in memory, recording what the pages ask of them.</summary>
public sealed class FakeExportService : IExportAllowances, IExportSubmissions, IExportQueries, IExportCommands, IExportNoticeInbox, IExportStatistics, IExportShares
{
    public List<ExportSummary> Exports { get; } = [];

    public Dictionary<Guid, ExportDetails> Details { get; } = [];

    public List<ExportQuery> Queries { get; } = [];

    public List<(TimeRange Range, FileFormat Format)> Submissions { get; } = [];

    /// <summary>The name each submission carried, in the order of <see cref="Submissions"/>.</summary>
    public List<string?> SubmittedNames { get; } = [];

    public List<Guid> Cancelled { get; } = [];

    public List<Guid> Deleted { get; } = [];

    public List<Guid> Reruns { get; } = [];

    public List<Guid> SubmittedAgain { get; } = [];

    public List<ExportNotice> Notices { get; } = [];

    public int MarkReadCalls { get; private set; }

    public SubmitOutcome? NextSubmitOutcome { get; set; }

    public ExportSummary? Reusable { get; set; }

    public ExportStatistics? Statistics { get; set; }

    public Exception? ListFailure { get; set; }

    /// <summary>When set, counts at most this many rows past the page's start, as the service does over a large history.</summary>
    public int? CountAhead { get; set; }

    public DateTimeOffset? StatisticsSince { get; private set; }

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name: null, cancellationToken);

    /// <summary>The daily allowance every user has; the day is the one of <see cref="AllowanceResetsAt"/>.</summary>
    public int AllowanceLimit { get; set; } = 50;

    public DateTimeOffset AllowanceResetsAt { get; set; } = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    public Task<ExportAllowance> GetAsync(string userId, CancellationToken cancellationToken = default) =>
        Task.FromResult(new ExportAllowance(AllowanceLimit, Exports.Count(e => e.OwnerId == userId), AllowanceResetsAt));

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, CancellationToken cancellationToken = default)
    {
        Submissions.Add((range, format));
        SubmittedNames.Add(name);
        if (NextSubmitOutcome is null && GetAsync(user.Id, cancellationToken).Result is { IsUsedUp: true } usedUp)
        {
            return Task.FromResult<SubmitOutcome>(new SubmitOutcome.AllowanceUsedUp(usedUp));
        }
        var outcome = NextSubmitOutcome ?? new SubmitOutcome.Accepted(Summary(user.Id, user.Name, ExportStatus.Queued, range, format) with { Name = name });
        if (outcome is SubmitOutcome.Accepted accepted)
        {
            Exports.Add(accepted.Export);
        }
        return Task.FromResult(outcome);
    }

    /// <summary>The destinations of each submission that named any, in order.</summary>
    public List<IReadOnlyList<Guid>> SubmittedDestinations { get; } = [];

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default)
    {
        SubmittedDestinations.Add(destinations);
        return SubmitAsync(user, range, format, name, cancellationToken);
    }

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, destinations, cancellationToken);

    /// <summary>The team of each submission that named one (null: the user's own).</summary>
    public List<string?> SubmittedTeams { get; } = [];

    public Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default)
    {
        SubmittedTeams.Add(team);
        return SubmitAsync(user, range, format, name, destinations, cancellationToken);
    }

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, IReadOnlyList<Guid> destinations, string? team, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, destinations, team, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, cancellationToken);

    public Task<SubmitOutcome> SubmitWithKeyAsync(ExportUser user, TimeRange range, FileFormat format, string? idempotencyKey, string? name, CancellationToken cancellationToken = default) =>
        SubmitAsync(user, range, format, name, cancellationToken);

    public string? LastTeam { get; set; }

    public Task<string?> LastTeamAsync(ExportUser user, CancellationToken cancellationToken = default) => Task.FromResult(LastTeam);

    public Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default) =>
        Task.FromResult(Reusable is { } r && r.Range == range && r.Format == format ? r : null);

    public Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default)
    {
        Queries.Add(query);
        if (ListFailure is not null)
        {
            throw ListFailure;
        }
        var visible = Exports.Where(e => user.IsAdmin && query.AllUsers ? query.OwnerId is null || e.OwnerId == query.OwnerId : e.OwnerId == user.Id)
            .Where(e => query.Status is null || e.Status == query.Status)
            .Where(e => query.Format is null || e.Format == query.Format)
            .ToList();
        var page = visible.Skip(query.Page * query.PageSize).Take(query.PageSize).ToList();
        var limit = (query.Page * query.PageSize) + CountAhead;
        return Task.FromResult(visible.Count > limit
            ? new PagedResult<ExportSummary>(page, limit.Value, TotalIsLowerBound: true)
            : new PagedResult<ExportSummary>(page, visible.Count));
    }

    /// <summary>Users an export is shared with, by export.</summary>
    public Dictionary<Guid, HashSet<string>> SharedWith { get; } = [];

    /// <summary>What the next share answers, when not the shares themselves (an unknown colleague, say).</summary>
    public ShareOutcome? NextShareOutcome { get; set; }

    public Task<IReadOnlyList<ExportShareInfo>?> ListAsync(ExportUser user, Guid exportId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ExportShareInfo>?>(Shares(exportId));

    public Task<ShareOutcome> ShareAsync(ExportUser user, Guid exportId, IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        if (NextShareOutcome is { } next)
        {
            return Task.FromResult(next);
        }
        var shared = SharedWith.TryGetValue(exportId, out var existing) ? existing : SharedWith[exportId] = [];
        shared.UnionWith(users);
        return Task.FromResult<ShareOutcome>(new ShareOutcome.Done(Shares(exportId)));
    }

    public Task<bool> UnshareAsync(ExportUser user, Guid exportId, string colleague, CancellationToken cancellationToken = default)
    {
        if (SharedWith.TryGetValue(exportId, out var shared))
        {
            shared.Remove(colleague);
        }
        return Task.FromResult(true);
    }

    private List<ExportShareInfo> Shares(Guid exportId) =>
        [.. (SharedWith.TryGetValue(exportId, out var shared) ? shared : []).Order(StringComparer.Ordinal)
            .Select(u => new ExportShareInfo(u, u, null, "user-1", DateTimeOffset.UnixEpoch))];

    /// <summary>How many times a request's details were read.</summary>
    public int DetailReads { get; private set; }

    public Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        DetailReads++;
        return Task.FromResult(Details.TryGetValue(id, out var details)
            && (ResourceAccess.CanRead(user, details.Summary) || (SharedWith.TryGetValue(id, out var users) && users.Contains(user.Id)))
            ? details with { CanCancel = ResourceAccess.CanCancel(user, details.Summary), CanShare = ResourceAccess.CanShare(user, details.Summary) }
            : null);
    }

    public Task<bool> CancelAsync(ExportUser user, Guid id, string? reason, CancellationToken cancellationToken = default)
    {
        Cancelled.Add(id);
        CancelReasons[id] = reason;
        return Task.FromResult(true);
    }

    /// <summary>The reason given with each cancel (null for none).</summary>
    public Dictionary<Guid, string?> CancelReasons { get; } = [];

    public Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        Deleted.Add(id);
        Exports.RemoveAll(e => e.Id == id);
        return Task.FromResult(true);
    }

    public Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        Reruns.Add(id);
        var original = Exports.FirstOrDefault(e => e.Id == id);
        return Task.FromResult<SubmitOutcome?>(original is null
            ? null
            : new SubmitOutcome.Accepted(Summary(original.OwnerId, original.OwnerName, ExportStatus.Queued, original.Range, original.Format)));
    }

    public Task<bool> SubmitAgainAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        SubmittedAgain.Add(id);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ExportNotice>>([.. Notices.OrderByDescending(n => n.At).Take(max)]);

    public Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        MarkReadCalls++;
        for (var i = 0; i < Notices.Count; i++)
        {
            Notices[i] = Notices[i] with { Read = true };
        }
        return Task.CompletedTask;
    }

    public Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        StatisticsSince = since;
        return Task.FromResult(user.IsAdmin ? Statistics : null);
    }

    public static ExportSummary Summary(string ownerId, string ownerName, ExportStatus status, TimeRange? range = null,
        FileFormat format = FileFormat.Csv, DateTimeOffset? createdAt = null, int fileCount = 0, long? rowCount = null, string? lastError = null)
    {
        var created = createdAt ?? new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        return new ExportSummary(Guid.NewGuid(), ownerId, ownerName,
            range ?? new TimeRange(created.AddDays(-1), created), format, status, created, created,
            status == ExportStatus.Completed ? created.AddMinutes(1) : null, rowCount, fileCount, lastError);
    }
}
