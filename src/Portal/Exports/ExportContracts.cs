namespace Portal.Exports;

/// <summary>One row of a history grid.</summary>
public sealed record ExportSummary(
    Guid Id,
    string OwnerId,
    string OwnerName,
    TimeRange Range,
    FileFormat Format,
    ExportStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    long? RowCount,
    int FileCount,
    string? LastError);

/// <summary>Everything the details page shows about one request.</summary>
public sealed record ExportDetails(
    ExportSummary Summary,
    string? OwnerEmail,
    string? RequestUuid,
    Guid? RerunOf,
    IReadOnlyList<ExportFileInfo> Files,
    IReadOnlyList<ExportEventInfo> Timeline);

/// <summary>
/// A result file. No URL: links are handed out fresh by <see cref="IExportService.GetDownloadAsync"/>.
/// <see cref="RowCount"/> and <see cref="SizeBytes"/> are null when not known.
/// </summary>
public sealed record ExportFileInfo(int Part, string Name, DateTimeOffset UrlExpiresAt, long? RowCount = null, long? SizeBytes = null);

/// <summary>One entry of a request's timeline: a status change, or a download (<c>From == To</c>).</summary>
public sealed record ExportEventInfo(DateTimeOffset At, ExportStatus? From, ExportStatus To, string Actor, string? Detail);

public enum ExportSort
{
    CreatedAt,
    UpdatedAt,
    Status,
    Format,
    RangeFrom,
    Owner,
}

/// <summary>A page of history. <see cref="OwnerId"/> is honoured for admins only; users always see their own.</summary>
public sealed record ExportQuery
{
    public int Page { get; init; }

    public int PageSize { get; init; } = 25;

    public ExportSort SortBy { get; init; } = ExportSort.CreatedAt;

    public bool Descending { get; init; } = true;

    public ExportStatus? Status { get; init; }

    public FileFormat? Format { get; init; }

    /// <summary>Requests created at or after this instant.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Requests created before this instant.</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Free text matched against owner name, email and upstream request id.</summary>
    public string? Search { get; init; }

    /// <summary>Admins only: all users when null (true for the admin grid), else one owner.</summary>
    public string? OwnerId { get; init; }

    /// <summary>Admins only: list every user's requests, not just their own.</summary>
    public bool AllUsers { get; init; }

    /// <summary>Only open requests past the 95th percentile of similar requests' preparation times.</summary>
    public bool Slow { get; init; }
}

public sealed record PagedResult<T>(IReadOnlyList<T> Items, int TotalCount);

/// <summary>The answer to a submission.</summary>
public abstract record SubmitOutcome
{
    private SubmitOutcome() { }

    /// <summary>Stored (and, unless the upstream was unreachable, accepted upstream).</summary>
    public sealed record Accepted(ExportSummary Export) : SubmitOutcome;

    /// <summary>Nothing stored; field name to messages (<c>timerange</c>, <c>timerange.from</c>, <c>fileformat</c>, ...).</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : SubmitOutcome;

    /// <summary>Nothing stored: the user submits too often.</summary>
    public sealed record Throttled(TimeSpan RetryAfter) : SubmitOutcome;
}

/// <summary>A download URL valid now; a secret, never logged.</summary>
public sealed record DownloadLink(Uri Url, DateTimeOffset ExpiresAt, string FileName);

/// <summary>A completed, failed or otherwise ended request the owner has been told about (the bell).</summary>
public sealed record ExportNotice(long Id, Guid ExportId, ExportStatus Status, DateTimeOffset At, string Text, bool Read);

/// <summary>The portal's export operations. Every method is scoped to the user: another user's request is "not found" (null/false).</summary>
public interface IExportService
{
    Task<SubmitOutcome> SubmitAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);

    /// <summary>A completed request of the user with the same range and format whose results are still retained upstream.</summary>
    Task<ExportSummary?> FindReusableAsync(ExportUser user, TimeRange range, FileFormat format, CancellationToken cancellationToken = default);

    Task<PagedResult<ExportSummary>> ListAsync(ExportUser user, ExportQuery query, CancellationToken cancellationToken = default);

    Task<ExportDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<bool> CancelAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>Submits the same parameters again, linked to the original; null when the original is not found.</summary>
    Task<SubmitOutcome?> RerunAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// A link to part <paramref name="part"/> valid now (re-asking upstream when needed), recorded as a download in
    /// the request's timeline; null when not found or no longer available.
    /// </summary>
    Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default);

    Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default);

    /// <summary>The admin dashboard's figures since <paramref name="since"/>; null for a non-admin.</summary>
    Task<ExportStatistics?> GetStatisticsAsync(ExportUser user, DateTimeOffset since, CancellationToken cancellationToken = default);
}

public sealed record ExportStatistics(
    IReadOnlyList<DailyStatusCount> RequestsPerDay,
    IReadOnlyList<FormatDurations> DurationsByFormat,
    IReadOnlyList<FailureReasonCount> FailuresByReason,
    IReadOnlyDictionary<ExportStatus, int> OpenNow,
    UpstreamHealth Upstream);

public sealed record DailyStatusCount(DateOnly Day, ExportStatus Status, int Count);

/// <summary>Submit-to-completion durations of completed requests, in seconds.</summary>
public sealed record FormatDurations(FileFormat Format, int Count, double P50Seconds, double P90Seconds, double P95Seconds);

public sealed record FailureReasonCount(string Reason, int Count);

/// <summary>
/// How the upstream has been answering the tracker lately. <see cref="ConsecutiveFailures"/> counts failed calls
/// since the last good answer; <see cref="LastRateLimitedAt"/> is the last 429.
/// </summary>
public sealed record UpstreamHealth(
    string? LastError,
    DateTimeOffset? LastErrorAt,
    double RecentErrorRate,
    int PollsLastMinute,
    int PollBudgetPerMinute,
    int ConsecutiveFailures = 0,
    DateTimeOffset? LastSuccessAt = null,
    DateTimeOffset? LastRateLimitedAt = null);

/// <summary>A status change as published to open pages and hub clients. Never carries a URL.</summary>
public sealed record ExportChanged(
    Guid ExportId,
    string OwnerId,
    ExportStatus? Previous,
    ExportStatus Status,
    DateTimeOffset At,
    string? Detail,
    long? RowCount,
    int FileCount);

/// <summary>The one publisher of status changes (singleton).</summary>
public interface IExportEvents
{
    /// <summary>Calls <paramref name="handler"/> for every change until the returned subscription is disposed.</summary>
    IDisposable Subscribe(Func<ExportChanged, Task> handler);

    Task PublishAsync(ExportChanged change, CancellationToken cancellationToken = default);
}
