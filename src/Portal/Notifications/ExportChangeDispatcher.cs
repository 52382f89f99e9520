using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// Pushes the event rows (the outbox) in id order: reads the unpublished ones, hands them to the fan-out, then
/// marks them published. A crash between the two pushes them again on the next start: delivery is at least once,
/// and receivers drop what they have seen by its version. The durable channels (<see cref="IDeliveryPlanner"/>)
/// plan their deliveries in the transaction that marks the rows, which commits only if every row was still
/// unpublished: they plan each change exactly once. Woken by writers; also looks on its own every
/// <see cref="NotificationOptions.DispatchInterval"/> for rows another instance wrote.
/// </summary>
public sealed partial class ExportChangeDispatcher(
    IDbContextFactory<PortalDbContext> dbFactory,
    IExportChangeFanOut fanOut,
    IEnumerable<IDeliveryPlanner> planners,
    DatabaseOutage outage,
    TimeProvider time,
    IOptions<NotificationOptions> options,
    ILogger<ExportChangeDispatcher> logger) : BackgroundService, IExportOutbox
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim dispatching = new(1, 1);

    public void Wake() => wake.Writer.TryWrite(true);

    /// <summary>Pushes one batch of unpublished rows; returns how many.</summary>
    public async Task<int> DispatchAsync(CancellationToken cancellationToken)
    {
        await dispatching.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // By "not yet published", not "after the last id": rows of concurrent transactions may commit out of id order.
            var changes = await ExportChangeReader.ReadAsync(db, db.ExportEvents.Where(e => e.PublishedAt == null), ExportChangeReader.MaxBatch, cancellationToken);
            if (changes.Count == 0)
            {
                return 0;
            }
            await fanOut.PublishAsync(changes, cancellationToken);

            await MarkPublishedAsync(db, changes);
            return changes.Count;
        }
        finally
        {
            dispatching.Release();
        }
    }

    /// <summary>
    /// Plans the durable deliveries and marks the rows published, all or nothing. Once pushed, the batch is marked
    /// even if the caller gives up meanwhile; another instance that marked a row first makes this one roll back.
    /// </summary>
    private async Task MarkPublishedAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes)
    {
        var ids = changes.Select(c => c.EventId).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var marked = await db.ExportEvents.Where(e => ids.Contains(e.Id) && e.PublishedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.PublishedAt, time.GetUtcNow()), CancellationToken.None);
        if (marked != ids.Count)
        {
            return;
        }
        foreach (var planner in planners)
        {
            await planner.PlanAsync(db, changes, CancellationToken.None);
        }
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchAsync(stoppingToken) == ExportChangeReader.MaxBatch)
                {
                }
                outage.Succeeded("the outbox dispatcher");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows stay unpublished; the next pass pushes them. The database away is logged once per outage.
                if (!outage.Failed(ex, "the outbox dispatcher"))
                {
                    LogDispatchFailed(logger, ex);
                }
            }
            await WaitAsync(stoppingToken);
        }
    }

    private async Task WaitAsync(CancellationToken stoppingToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var interval = Task.Delay(options.Value.DispatchInterval, time, cts.Token);
        var woken = wake.Reader.WaitToReadAsync(cts.Token).AsTask();
        await Task.WhenAny(interval, woken);
        wake.Reader.TryRead(out _);
        await cts.CancelAsync();
    }

    public override void Dispose()
    {
        dispatching.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Dispatching export changes failed; retrying after the dispatch interval")]
    private static partial void LogDispatchFailed(ILogger logger, Exception ex);
}
