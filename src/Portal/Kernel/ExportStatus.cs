namespace Portal.Kernel;

/// <summary>
/// Where an export request stands. <see cref="Submitted"/>, <see cref="InProgress"/> and <see cref="Completed"/>
/// mirror the upstream; the others are the portal's own.
/// </summary>
public enum ExportStatus
{
    /// <summary>Saved, not yet accepted upstream.</summary>
    Queued,
    /// <summary>
    /// A POST was sent but its outcome is unknown: the upstream may have started a (paid) job. The portal never posts
    /// again on its own; the owner or an admin submits again or cancels.
    /// </summary>
    Unconfirmed,
    Submitted,
    InProgress,
    Completed,
    /// <summary>Ended without result; <c>LastError</c> says why in words a user can read.</summary>
    Failed,
    /// <summary>Open longer than the configured maximum; the portal stopped waiting.</summary>
    TimedOut,
    /// <summary>Tracking stopped by the owner or an admin.</summary>
    Cancelled,
    /// <summary>Completed, but the results are gone upstream.</summary>
    Expired,
}

public static class ExportStatusExtensions
{
    /// <summary>True until the request has ended: it can still be cancelled.</summary>
    public static bool IsOpen(this ExportStatus status) =>
        status is ExportStatus.Queued or ExportStatus.Unconfirmed or ExportStatus.Submitted or ExportStatus.InProgress;

    /// <summary>True while the tracker works on the request; an <see cref="ExportStatus.Unconfirmed"/> one waits for a person.</summary>
    public static bool IsTracked(this ExportStatus status) =>
        status is ExportStatus.Queued or ExportStatus.Submitted or ExportStatus.InProgress;

    public static string DisplayName(this ExportStatus status) => status switch
    {
        ExportStatus.InProgress => "In Progress",
        ExportStatus.TimedOut => "Timed out",
        _ => status.ToString(),
    };
}
