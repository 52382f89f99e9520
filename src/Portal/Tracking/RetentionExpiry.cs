using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Tracking;

/// <summary>
/// The upstream purges results after its retention: completed requests older than that are expired. A tracker pass
/// looks at most once per <c>Tracking:IdleInterval</c>, and each pass that looks expires at most
/// <c>Tracking:BatchSize</c> rows, oldest first; later looks take the rest.
/// </summary>
public sealed class RetentionExpiry(
    IDbContextFactory<PortalDbContext> dbFactory,
    ExportProgress progress,
    IExportOutbox outbox,
    IOptions<ExportsOptions> exportsOptions,
    IOptions<TrackerOptions> options)
{
    public async Task ExpireAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var purgedBefore = now - exportsOptions.Value.UpstreamRetention;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var expired = await db.ExportRequests
            .Include(e => e.Files)
            .Where(e => e.Status == ExportStatus.Completed && e.CompletedAt < purgedBefore)
            .OrderBy(e => e.CompletedAt)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        if (expired.Count == 0)
        {
            return;
        }

        foreach (var request in expired)
        {
            progress.Transition(db, request, ExportStatus.Expired, ExportProgress.TrackerActor,
                $"The device platform keeps results for {exportsOptions.Value.UpstreamRetention.TotalHours:0.#} hours.", now);
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another instance or a download got there first; the next pass sees what is left.
            return;
        }
        outbox.Wake();
    }
}
