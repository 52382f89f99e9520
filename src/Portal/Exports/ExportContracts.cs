using Portal.Upstream;

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
    string? LastError) : Portal.Data.IOwnedResource
{
    /// <summary>What people call the export; for one stored before exports had names, its default in UTC.</summary>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public string Name
    {
        get => field ?? ExportNames.Default(Format, Range, TimeZoneInfo.Utc);
        init;
    }

    /// <summary>The team the export belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; init; }
}

/// <summary>Everything the details page shows about one request.</summary>
public sealed record ExportDetails(
    ExportSummary Summary,
    string? OwnerEmail,
    string? RequestUuid,
    Guid? RerunOf,
    IReadOnlyList<ExportFileInfo> Files,
    IReadOnlyList<ExportEventInfo> Timeline)
{
    /// <summary>Whether the caller may cancel, delete, re-run or submit it again (<c>ResourceAccess.CanCancel</c>).</summary>
    public bool CanCancel { get; init; }

    /// <summary>Whether the caller may share it with colleagues and take shares back (<c>ResourceAccess.CanShare</c>).</summary>
    public bool CanShare { get; init; }

    /// <summary>The colleagues it is shared with, oldest first; empty unless the caller may share it.</summary>
    public IReadOnlyList<ExportShareInfo> Shares { get; init; } = [];
}

/// <summary>One colleague an export is shared with, read-only: who, who shared it with them, and when.</summary>
public sealed record ExportShareInfo(string UserId, string Name, string? Email, string SharedBy, DateTimeOffset SharedAt);

/// <summary>
/// A result file. No URL: links are handed out fresh by <c>DownloadLinks</c>.
/// <see cref="RowCount"/> and <see cref="SizeBytes"/> are null when not known.
/// </summary>
public sealed record ExportFileInfo(int Part, string Name, DateTimeOffset UrlExpiresAt, long? RowCount = null, long? SizeBytes = null);

/// <summary>One entry of a request's timeline: a status change, a download (<c>From == To</c>), or a share or an unshare (<see cref="Sharing"/>).</summary>
public sealed record ExportEventInfo(DateTimeOffset At, ExportStatus? From, ExportStatus To, string Actor, string? Detail, bool Sharing = false);

public enum ExportSort
{
    CreatedAt,
    UpdatedAt,
    Status,
    Format,
    RangeFrom,
    Owner,
}

/// <summary>
/// A page of history. <see cref="OwnerId"/> and <see cref="AllUsers"/> are honoured for admins only; users always see
/// their own and their teams' exports, or with <see cref="SharedWithMe"/> those shared with them.
/// </summary>
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

    /// <summary>Free text matched against the export's name, its format, the upstream request id, and the owner's name and email.</summary>
    public string? Search { get; init; }

    /// <summary>Admins only: all users when null (true for the admin grid), else one owner.</summary>
    public string? OwnerId { get; init; }

    /// <summary>Admins only: list every user's requests, not just their own.</summary>
    public bool AllUsers { get; init; }

    /// <summary>Only open requests past the 95th percentile of similar requests' preparation times.</summary>
    public bool Slow { get; init; }

    /// <summary>Only the exports of this team (by name); a team the caller may not read finds nothing, as an unknown one.</summary>
    public string? Team { get; init; }

    /// <summary>
    /// Only the exports shared with the caller ("Shared with me"). Without it a user's list is "my exports": their own
    /// and their teams' (an admin's with <see cref="AllUsers"/>: everyone's).
    /// </summary>
    public bool SharedWithMe { get; init; }
}

/// <summary>
/// A page and the number of rows that match. When <see cref="TotalIsLowerBound"/> is set, counting stopped at
/// <see cref="TotalCount"/>: at least that many match, and there are pages past the current one.
/// </summary>
public sealed record PagedResult<T>(IReadOnlyList<T> Items, int TotalCount, bool TotalIsLowerBound = false);

/// <summary>The answer to a submission.</summary>
public abstract record SubmitOutcome
{
    private SubmitOutcome() { }

    /// <summary>Stored; the tracker sends it upstream (or it was a double click of a request already stored).</summary>
    public sealed record Accepted(ExportSummary Export) : SubmitOutcome
    {
        /// <summary>True when this is an export stored earlier (a double click, or a repeat of an idempotency key).</summary>
        public bool Repeated { get; init; }
    }

    /// <summary>Nothing stored; field name to messages (<c>timerange</c>, <c>timerange.from</c>, <c>fileformat</c>, ...).</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : SubmitOutcome;

    /// <summary>Nothing stored: the user submits too often.</summary>
    public sealed record Throttled(TimeSpan RetryAfter) : SubmitOutcome;

    /// <summary>Nothing stored: the idempotency key already belongs to <paramref name="Existing"/>, a different request.</summary>
    public sealed record KeyReused(ExportSummary Existing) : SubmitOutcome;

    /// <summary>Nothing stored: the user's exports for today are used up (<see cref="ExportAllowance.Message"/>).</summary>
    public sealed record AllowanceUsedUp(ExportAllowance Allowance) : SubmitOutcome;
}

/// <summary>A user's daily allowance of exports (a UTC day) and what is used of it.</summary>
public sealed record ExportAllowance(int Limit, int Used, DateTimeOffset ResetsAt)
{
    public int Remaining => Math.Max(0, Limit - Used);

    public bool IsUsedUp => Used >= Limit;

    /// <summary>What a user reads when the allowance stops a submission.</summary>
    public string Message =>
        $"You have used your {Limit} exports for today (your daily allowance). It resets at {ResetsAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; an admin can raise it.";
}

/// <summary>A download URL valid now; a secret, never logged.</summary>
public sealed record DownloadLink(Uri Url, DateTimeOffset ExpiresAt, string FileName);

/// <summary>A completed, failed or otherwise ended request the owner has been told about (the bell).</summary>
public sealed record ExportNotice(long Id, Guid ExportId, ExportStatus Status, DateTimeOffset At, string Text, bool Read);

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
/// A change of a request as pushed to open pages and hub clients, built from its event row (the outbox). Never
/// carries a URL. <see cref="Version"/> is the request's version after the change: a receiver drops a change whose
/// version it has already seen (a duplicate of the at-least-once delivery) or passed. <see cref="EventId"/> is the
/// event row's id, a global cursor to catch up from. <see cref="Deleted"/> says the request is gone.
/// <see cref="DeliveryId"/> and <see cref="Delivery"/> name a delivery to a destination whose status this change is.
/// <see cref="Team"/> is the export's team now; <see cref="AccessChangedFor"/> names the colleague an export was just
/// shared with or unshared from: they hear that change even when they may no longer read the export.
/// <see cref="Actor"/> is who made the change, as its timeline entry says; <see cref="LastError"/> is the request's
/// last error as it is now, like <see cref="RowCount"/> and <see cref="FileCount"/>: with them an open page applies
/// a timeline note in place instead of reading the request again.
/// </summary>
public sealed record ExportChanged(
    Guid ExportId,
    string OwnerId,
    ExportStatus? Previous,
    ExportStatus Status,
    DateTimeOffset At,
    string? Detail,
    long? RowCount,
    int FileCount,
    int Version = 0,
    long EventId = 0,
    bool Deleted = false,
    long? DeliveryId = null,
    Portal.Data.DeliveryStatus? Delivery = null,
    string? Actor = null,
    string? LastError = null)
{
    /// <summary>The team the export belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; init; }

    /// <summary>For a share or an unshare: the user id of the colleague whose access it gave or took; null otherwise.</summary>
    public string? AccessChangedFor { get; init; }
}

/// <summary>The changes of every request as they are dispatched, for open pages (singleton).</summary>
public interface IExportChangeFeed
{
    /// <summary>
    /// Calls <paramref name="handler"/> for every change, in order and once per version of a request, until the
    /// returned subscription is disposed. Each subscription has its own queue: a slow handler delays nobody else.
    /// </summary>
    IDisposable Subscribe(Func<ExportChanged, Task> handler);

    /// <summary>
    /// As <see cref="Subscribe(Func{ExportChanged, Task})"/>, for the changes of one request only: a page that shows
    /// one request is not woken by the changes of every other.
    /// </summary>
    IDisposable SubscribeToExport(Guid exportId, Func<ExportChanged, Task> handler);

    /// <summary>
    /// As <see cref="Subscribe(Func{ExportChanged, Task})"/>, for the changes of one owner's requests only, and the
    /// shares and unshares that concern them (<see cref="ExportChanged.AccessChangedFor"/>).
    /// </summary>
    IDisposable SubscribeToOwner(string ownerId, Func<ExportChanged, Task> handler);

    /// <summary>As <see cref="Subscribe(Func{ExportChanged, Task})"/>, for the changes of one team's exports only.</summary>
    IDisposable SubscribeToTeam(string team, Func<ExportChanged, Task> handler);
}

/// <summary>
/// What writers tell the outbox after saving event rows. The rows are the message: nothing is published by the
/// writer, so a crash after the save loses nothing.
/// </summary>
public interface IExportOutbox
{
    /// <summary>Event rows were saved: dispatch them now rather than at the next interval. Cheap; never blocks.</summary>
    void Wake();
}
