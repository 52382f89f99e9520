using Portal.Exports;

namespace Portal.Data;

/// <summary>
/// One export request: its state, its upstream job and its place in the tracker's schedule. The row is the
/// source of truth; the tracker keeps nothing in memory only.
/// </summary>
public sealed class ExportRequest : IOwnedResource
{
    public Guid Id { get; set; }

    /// <summary>The team it belongs to, by name; null when it is its owner's alone.</summary>
    public string? Team { get; set; }

    public string OwnerId { get; set; } = "";

    public string OwnerName { get; set; } = "";

    public string? OwnerEmail { get; set; }

    /// <summary>
    /// What people call the export: given by its owner, or made from its format and range when it was stored. Null
    /// only on rows stored before exports had names; <see cref="ExportNames.Default"/> in UTC stands in for them.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>The name people see: <see cref="Name"/>, or for an older row the default made from format and range in UTC.</summary>
    public string DisplayName => Name ?? ExportNames.Default(Format, Range, TimeZoneInfo.Utc);

    public DateTimeOffset RangeFrom { get; set; }

    public DateTimeOffset RangeTo { get; set; }

    public FileFormat Format { get; set; }

    public ExportStatus Status { get; set; }

    /// <summary>The upstream job, once a POST was accepted.</summary>
    public string? RequestUuid { get; set; }

    /// <summary>The last status string the upstream reported, verbatim (it may be one the portal does not know).</summary>
    public string? UpstreamStatus { get; set; }

    public long? RowCount { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The UTC day of <see cref="CreatedAt"/>, so the dashboard counts per day in the database.</summary>
    public DateOnly CreatedDay { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? SubmittedAt { get; set; }

    /// <summary>When the upstream says it completed.</summary>
    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>When the portal learned of the completion.</summary>
    public DateTimeOffset? CompletionSeenAt { get; set; }

    /// <summary>From creation to <see cref="CompletedAt"/>: the dashboard's percentiles sort by it in the database.</summary>
    public double? SecondsToComplete { get; set; }

    public DateTimeOffset? NextPollAt { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>
    /// The fencing token: raised by every claim. A holder's writes are conditional on the token it claimed, so a
    /// holder whose lease lapsed and was claimed again can no longer write.
    /// </summary>
    public long LeaseToken { get; set; }

    /// <summary>
    /// When the last POST was sent, stored before sending and cleared once its answer is stored. Set on a row
    /// without <see cref="RequestUuid"/>, it means an attempt whose outcome was never recorded: it is never posted
    /// again on its own.
    /// </summary>
    public DateTimeOffset? SubmitSentAt { get; set; }

    /// <summary>
    /// The <c>Idempotency-Key</c> a script sent with its create, unique per owner: a retry with the same key gets this
    /// request back instead of a second one, on any instance and after a restart.
    /// </summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>When the owner or an admin deleted it. Deleted rows are hidden from every query but keep their record.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>Status GETs made for this request.</summary>
    public int Polls { get; set; }

    /// <summary>POSTs made for this request.</summary>
    public int SubmitAttempts { get; set; }

    /// <summary>Upstream errors since the last good answer; drives the backoff.</summary>
    public int ConsecutiveErrors { get; set; }

    public string? LastError { get; set; }

    /// <summary>
    /// The W3C <c>traceparent</c> of the span that created the request (a page's submit), so the tracker's later work
    /// on it links back to that trace.
    /// </summary>
    public string? TraceParent { get; set; }

    /// <summary>The request this one repeats.</summary>
    public Guid? RerunOf { get; set; }

    /// <summary>The schedule whose run created this request.</summary>
    public Guid? ScheduleId { get; set; }

    /// <summary>Bumped on every write, so the tracker and a user never overwrite each other.</summary>
    public int Version { get; set; }

    public List<ExportFile> Files { get; set; } = [];

    public List<ExportEvent> Events { get; set; } = [];

    public TimeRange Range => new(RangeFrom, RangeTo);
}

/// <summary>A result file and the last pre-signed URL the upstream gave for it.</summary>
public sealed class ExportFile
{
    public long Id { get; set; }

    public Guid ExportId { get; set; }

    public int Part { get; set; }

    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    public DateTimeOffset UrlExpiresAt { get; set; }

    /// <summary>The file's size, once the portal has learned it (a ranged answer, a <c>HEAD</c>, a proxied download).</summary>
    public long? SizeBytes { get; set; }
}

/// <summary>
/// One entry of a request's timeline: a status change, or a note such as a download (<c>From == To</c>). Written in
/// the same transaction as the change, it is also the outbox: the dispatcher pushes each row once it is saved.
/// </summary>
public sealed class ExportEvent
{
    public long Id { get; set; }

    public Guid ExportId { get; set; }

    /// <summary>
    /// Whom the change is routed to: the request's owner, copied so pushing a change needs no join to route it; for a
    /// share or an unshare, the colleague whose access it gave or took (the change's <c>AccessChangedFor</c>).
    /// </summary>
    public string OwnerId { get; set; } = "";

    /// <summary>The request's <see cref="ExportRequest.Version"/> after this change; receivers order by it.</summary>
    public int Version { get; set; }

    /// <summary>When the dispatcher pushed it; null until then.</summary>
    public DateTimeOffset? PublishedAt { get; set; }

    public DateTimeOffset At { get; set; }

    public ExportStatus? From { get; set; }

    public ExportStatus To { get; set; }

    /// <summary>Who or what caused it: a user's name, <c>upstream</c>, <c>tracker</c>.</summary>
    public string Actor { get; set; } = "";

    public string? Detail { get; set; }

    /// <summary>The delivery this entry is about (<see cref="ExportDelivery"/>); null for any other change.</summary>
    public long? DeliveryId { get; set; }

    /// <summary>The delivery's status after this change; null for any other change.</summary>
    public DeliveryStatus? DeliveryStatus { get; set; }
}

/// <summary>The bell: an owner's request that ended, with read state.</summary>
public sealed class ExportNoticeEntry
{
    public long Id { get; set; }

    public Guid ExportId { get; set; }

    public string OwnerId { get; set; } = "";

    public ExportStatus Status { get; set; }

    public DateTimeOffset At { get; set; }

    public string Text { get; set; } = "";

    public bool Read { get; set; }
}
