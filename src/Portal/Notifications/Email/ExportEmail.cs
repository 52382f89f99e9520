using System.Globalization;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications.Email;

/// <summary>The words of an email about an export. Only the portal's own page is linked: never a download URL or a token.</summary>
public static class ExportEmail
{
    public sealed record Content(string Subject, string Body, string Link);

    public static string LinkTo(string? portalUrl, Guid exportId) =>
        $"{(portalUrl ?? "").TrimEnd('/')}/exports/{exportId}";

    /// <summary>A Message-ID that names the change, so every attempt of one email carries the same one.</summary>
    public static string MessageIdFor(string? portalUrl, Guid exportId, long eventId)
    {
        var host = Uri.TryCreate(portalUrl, UriKind.Absolute, out var uri) ? uri.Host : "portal.invalid";
        return string.Create(CultureInfo.InvariantCulture, $"export-{exportId:N}-{eventId}@{host}");
    }

    /// <param name="detail">The change's timeline entry: for a cancel by someone else, who cancelled and why.</param>
    public static Content Compose(ExportRequest request, ExportStatus outcome, string? portalUrl, bool isScheduledRun, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var format = request.Format.ApiName();
        // The name first: a mailbox of several exports' emails is told apart by their subjects.
        var name = $"\u201c{request.DisplayName}\u201d";
        var what = string.Create(CultureInfo.InvariantCulture,
            $"device statuses from {request.RangeFrom.UtcDateTime:yyyy-MM-dd HH:mm} to {request.RangeTo.UtcDateTime:yyyy-MM-dd HH:mm} UTC as {format}");
        var kind = isScheduledRun ? "scheduled export" : "export";
        var (subject, outcomeText) = outcome switch
        {
            ExportStatus.Completed => (
                $"Your {kind} {name} is ready",
                string.Create(CultureInfo.InvariantCulture,
                    $"is ready: {(request.RowCount is { } rows ? $"{rows:N0} rows in " : "")}{FileCount(request.Files.Count)}. Download it from its page in the portal.")),
            ExportStatus.Failed => (
                $"Your {kind} {name} failed",
                $"failed: {Sentence(request.LastError) ?? "the device platform could not prepare it."} You can submit it again from its page."),
            ExportStatus.TimedOut => (
                $"Your {kind} {name} took too long",
                "took too long: the portal stopped waiting for the device platform. You can submit it again from its page."),
            ExportStatus.Unconfirmed => (
                $"Your {kind} {name} needs a decision",
                "may have been started by the device platform, which did not confirm it. Open its page to submit it again (a second export may be billed) or to cancel it."),
            ExportStatus.Cancelled when CancelReason.IsByAnother(detail) => (
                $"Your {format} {kind} was cancelled",
                $"was cancelled{detail!["Cancelled".Length..]}{(detail.EndsWith('.') ? "" : ".")} You can re-run it from its page."),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Only an ended export is emailed."),
        };
        var link = LinkTo(portalUrl, request.Id);
        var body = string.Join('\n',
            $"Hello {request.OwnerName},",
            "",
            $"Your {kind} {name} of {what} {outcomeText}",
            "",
            $"Open it in the portal: {link}",
            "",
            "You get this email because of your notification settings in the portal.");
        return new Content(subject, body, link);
    }

    /// <summary>An export delivered to a destination, or not delivered; <paramref name="detail"/> says where, and why not.</summary>
    public static Content ComposeDelivery(ExportRequest request, DeliveryStatus outcome, string? portalUrl, bool isScheduledRun, string? detail)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = $"\u201c{request.DisplayName}\u201d";
        var kind = isScheduledRun ? "scheduled export" : "export";
        var subject = outcome switch
        {
            DeliveryStatus.Delivered => $"Your {kind} {name} was delivered",
            DeliveryStatus.Failed => $"Your {kind} {name} could not be delivered",
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Only a delivery that ended is emailed."),
        };
        var link = LinkTo(portalUrl, request.Id);
        var body = string.Join('\n',
            $"Hello {request.OwnerName},",
            "",
            $"Your {kind} {name}: {Sentence(detail) ?? outcome.ToString()}",
            outcome == DeliveryStatus.Failed ? "Its files can still be downloaded from its page while the device platform keeps them." : "",
            "",
            $"Open it in the portal: {link}",
            "",
            "You get this email because of your notification settings in the portal.");
        return new Content(subject, body, link);
    }

    private static string FileCount(int files) => files == 1 ? "1 file" : string.Create(CultureInfo.InvariantCulture, $"{files} files");

    private static string? Sentence(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.TrimEnd().EndsWith('.') ? text.Trim() : text.Trim() + ".";
}
