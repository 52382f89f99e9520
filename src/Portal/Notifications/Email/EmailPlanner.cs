using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications.Email;

/// <summary>
/// Adds one <see cref="EmailMessage"/> per change that ends an export, when its owner's settings want it, inside the
/// dispatcher's transaction (<see cref="IDeliveryPlanner"/>): each change is planned once. Without a mail server it plans
/// nothing, except in Development, where the messages are kept for <c>/dev/mail</c>.
/// </summary>
public sealed partial class EmailPlanner(
    IOptions<EmailOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<EmailPlanner> logger) : IDeliveryPlanner
{
    public async Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(changes);
        var settings = options.Value;
        if (!settings.Sends && !environment.IsDevelopment())
        {
            return;
        }
        var ending = changes.Where(c => EmailDecision.EndsExport(c) || EmailDecision.EndsDelivery(c)).ToList();
        if (ending.Count == 0)
        {
            return;
        }

        var exportIds = ending.Select(c => c.ExportId).Distinct().ToList();
        var requests = await db.ExportRequests.AsNoTracking().Include(r => r.Files)
            .Where(r => exportIds.Contains(r.Id))
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        var ownerIds = ending.Select(c => c.OwnerId).Distinct().ToList();
        var preferences = await db.UserSettings.AsNoTracking()
            .Where(s => ownerIds.Contains(s.UserId))
            .ToDictionaryAsync(s => s.UserId, cancellationToken);

        var now = time.GetUtcNow();
        foreach (var change in ending)
        {
            if (!requests.TryGetValue(change.ExportId, out var request))
            {
                continue;
            }
            var owner = preferences.GetValueOrDefault(change.OwnerId) ?? new UserSettings { UserId = change.OwnerId };
            var isScheduledRun = request.ScheduleId is not null;
            if (!EmailDecision.Wants(owner.ExportEmails, owner.ScheduleEmails, isScheduledRun, change.At - request.CreatedAt))
            {
                continue;
            }
            var address = owner.Email ?? request.OwnerEmail;
            if (!IsAddress(address))
            {
                LogNoAddress(logger, change.ExportId);
                continue;
            }
            var content = change.Delivery is { } delivery
                ? ExportEmail.ComposeDelivery(request, delivery, settings.PortalUrl, isScheduledRun, change.Detail)
                : ExportEmail.Compose(request, change.Status, settings.PortalUrl, isScheduledRun, change.Detail);
            db.EmailMessages.Add(new EmailMessage
            {
                EventId = change.EventId,
                ExportId = change.ExportId,
                OwnerId = change.OwnerId,
                To = address!,
                Subject = content.Subject,
                Body = content.Body,
                Link = content.Link,
                MessageId = ExportEmail.MessageIdFor(settings.PortalUrl, change.ExportId, change.EventId),
                State = settings.Sends ? EmailState.Pending : EmailState.Kept,
                CreatedAt = now,
                NextAttemptAt = now,
            });
        }
    }

    public static bool IsAddress(string? address) =>
        !string.IsNullOrWhiteSpace(address) && MailboxAddress.TryParse(address, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal);

    [LoggerMessage(LogLevel.Information, "No email for export {ExportId}: its owner's sign-in gave no usable address")]
    private static partial void LogNoAddress(ILogger logger, Guid exportId);
}
