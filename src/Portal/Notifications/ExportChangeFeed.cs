using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// The open pages' side of the outbox. Each subscription has its own bounded queue and its own reader, so a page
/// that is slow (or stuck) delays no other page, the hub or the dispatcher. A subscription whose queue is full
/// misses what follows and then catches up from the event rows. Each subscription drops a change whose version of
/// the request it has seen already or passed: the dispatcher delivers at least once, pages see each change once.
/// When the fan-out itself was cut off (with several instances: Redis down or restarted), <see cref="CatchUpAsync"/>
/// hands every subscription what was written after the last change this feed delivered, read from the rows in
/// the same way. A subscription may be for one request or one owner only: it is then offered only their changes, so
/// thousands of open pages each showing one request cost a change one queue write, not thousands.
/// </summary>
public sealed partial class ExportChangeFeed(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<NotificationOptions> options,
    ILogger<ExportChangeFeed> logger) : IExportChangeFeed, IDisposable
{
    private readonly IDbContextFactory<PortalDbContext> dbFactory = dbFactory;
    private readonly IOptions<NotificationOptions> options = options;
    private readonly ILogger logger = logger;

    // Versions remembered per subscription; past this it forgets them all (a page then reloads once more).
    private const int MaxTrackedExports = 10_000;

    private readonly Lock gate = new();
    private readonly SemaphoreSlim catchingUp = new(1, 1);
    private Subscription[] subscriptions = [];
    private readonly Dictionary<Guid, Subscription[]> byExport = [];
    private readonly Dictionary<string, Subscription[]> byOwner = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscription[]> byTeam = new(StringComparer.Ordinal);
    private int subscriberCount;
    private long lastEventId;

    public int SubscriberCount => Volatile.Read(ref subscriberCount);

    /// <summary>The newest event row this feed delivered or started from; a catch-up reads the rows after it.</summary>
    public long LastEventId => Interlocked.Read(ref lastEventId);

    /// <summary>
    /// Starts from the newest event row, so that a catch-up before any change was delivered reads only what was
    /// written after this call (for a fan-out that can be cut off; call it when its subscription starts).
    /// </summary>
    public async Task StartFromLatestAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        Seen(await db.ExportEvents.MaxAsync(e => (long?)e.Id, cancellationToken) ?? 0);
    }

    /// <summary>
    /// Delivers to every subscription, in id order, the changes of the event rows after <see cref="LastEventId"/>:
    /// those the fan-out did not bring while it was cut off. Subscriptions drop what they have seen by its version,
    /// so a change that arrives both ways is handled once. Returns how many rows were read.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken)
    {
        await catchingUp.WaitAsync(cancellationToken);
        try
        {
            var after = LastEventId;
            if (after == 0)
            {
                // Nothing delivered and no starting point: whatever a page shows it read from the rows.
                await StartFromLatestAsync(cancellationToken);
                return 0;
            }
            var read = 0;
            var cursor = await ReadAfterAsync(after, change =>
            {
                read++;
                Deliver(change);
                return Task.CompletedTask;
            }, cancellationToken);
            LogFeedCaughtUp(logger, read, after, cursor);
            return read;
        }
        finally
        {
            catchingUp.Release();
        }
    }

    /// <summary>
    /// Hands <paramref name="handle"/> the changes of every event row after <paramref name="after"/>, oldest first, a
    /// batch at a time; returns the last event id handled. The one catch-up from the rows, of the feed and of a
    /// subscription that fell behind.
    /// </summary>
    private async Task<long> ReadAfterAsync(long after, Func<ExportChanged, Task> handle, CancellationToken cancellationToken)
    {
        var cursor = after;
        while (true)
        {
            IReadOnlyList<ExportChanged> missed;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                var from = cursor;
                missed = await ExportChangeReader.ReadAsync(db, db.ExportEvents.Where(e => e.Id > from), ExportChangeReader.MaxBatch, cancellationToken);
            }
            foreach (var change in missed)
            {
                await handle(change);
                cursor = change.EventId;
            }
            if (missed.Count < ExportChangeReader.MaxBatch)
            {
                return cursor;
            }
        }
    }

    private void Seen(long eventId)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref lastEventId);
            if (eventId <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref lastEventId, eventId, seen) != seen);
    }

    public IDisposable Subscribe(Func<ExportChanged, Task> handler) => Add(new Subscription(this, handler, Scope.Everything));

    public IDisposable SubscribeToExport(Guid exportId, Func<ExportChanged, Task> handler) => Add(new Subscription(this, handler, Scope.Export(exportId)));

    public IDisposable SubscribeToOwner(string ownerId, Func<ExportChanged, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerId);
        return Add(new Subscription(this, handler, Scope.Owner(ownerId)));
    }

    public IDisposable SubscribeToTeam(string team, Func<ExportChanged, Task> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(team);
        return Add(new Subscription(this, handler, Scope.OfTeam(team)));
    }

    private Subscription Add(Subscription subscription)
    {
        lock (gate)
        {
            switch (subscription.Scope)
            {
                case { ExportId: { } exportId }:
                    byExport[exportId] = byExport.TryGetValue(exportId, out var forExport) ? [.. forExport, subscription] : [subscription];
                    break;
                case { OwnerId: { } ownerId }:
                    byOwner[ownerId] = byOwner.TryGetValue(ownerId, out var forOwner) ? [.. forOwner, subscription] : [subscription];
                    break;
                case { Team: { } team }:
                    byTeam[team] = byTeam.TryGetValue(team, out var forTeam) ? [.. forTeam, subscription] : [subscription];
                    break;
                default:
                    subscriptions = [.. subscriptions, subscription];
                    break;
            }
            subscriberCount++;
        }
        subscription.Start();
        return subscription;
    }

    /// <summary>Queues <paramref name="change"/> for every subscription it concerns. Never waits for one.</summary>
    public void Deliver(ExportChanged change)
    {
        ArgumentNullException.ThrowIfNull(change);
        Seen(change.EventId);
        Subscription[]? forExport;
        Subscription[]? forOwner;
        Subscription[]? forColleague = null;
        Subscription[]? forTeam = null;
        lock (gate)
        {
            if (change.Team is { } team)
            {
                byTeam.TryGetValue(team, out forTeam);
            }
            byExport.TryGetValue(change.ExportId, out forExport);
            byOwner.TryGetValue(change.OwnerId, out forOwner);
            if (change.AccessChangedFor is { } colleague)
            {
                byOwner.TryGetValue(colleague, out forColleague);
            }
        }
        foreach (var subscription in Volatile.Read(ref subscriptions))
        {
            subscription.Offer(change);
        }
        foreach (var subscription in forExport ?? [])
        {
            subscription.Offer(change);
        }
        foreach (var subscription in forOwner ?? [])
        {
            subscription.Offer(change);
        }
        foreach (var subscription in forColleague ?? [])
        {
            subscription.Offer(change);
        }
        foreach (var subscription in forTeam ?? [])
        {
            subscription.Offer(change);
        }
    }

    public void Dispose() => catchingUp.Dispose();

    private void Remove(Subscription subscription)
    {
        lock (gate)
        {
            switch (subscription.Scope)
            {
                case { ExportId: { } exportId }:
                    Without(byExport, exportId, subscription);
                    break;
                case { OwnerId: { } ownerId }:
                    Without(byOwner, ownerId, subscription);
                    break;
                case { Team: { } team }:
                    Without(byTeam, team, subscription);
                    break;
                default:
                    subscriptions = [.. subscriptions.Where(s => s != subscription)];
                    break;
            }
            subscriberCount--;
        }
    }

    private static void Without<TKey>(Dictionary<TKey, Subscription[]> index, TKey key, Subscription subscription)
        where TKey : notnull
    {
        if (index.TryGetValue(key, out var current))
        {
            Subscription[] rest = [.. current.Where(s => s != subscription)];
            if (rest.Length == 0)
            {
                index.Remove(key);
            }
            else
            {
                index[key] = rest;
            }
        }
    }

    /// <summary>Whose changes a subscription hears: everyone's, one request's, one owner's or one team's.</summary>
    private sealed record Scope(Guid? ExportId, string? OwnerId, string? Team = null)
    {
        public static readonly Scope Everything = new(null, null);

        public static Scope Export(Guid id) => new(id, null);

        /// <summary>One owner's changes, and the shares and unshares of others' exports with them.</summary>
        public static Scope Owner(string id) => new(null, id);

        public static Scope OfTeam(string team) => new(null, null, team);

        public bool Concerns(ExportChanged change) =>
            (ExportId is null || ExportId == change.ExportId)
            && (OwnerId is null || string.Equals(OwnerId, change.OwnerId, StringComparison.Ordinal)
                || string.Equals(OwnerId, change.AccessChangedFor, StringComparison.Ordinal))
            && (Team is null || string.Equals(Team, change.Team, StringComparison.Ordinal));
    }

    private sealed class Subscription(ExportChangeFeed feed, Func<ExportChanged, Task> handler, Scope scope) : IDisposable
    {
        private readonly int capacity = feed.options.Value.SubscriberQueueCapacity;
        private readonly Channel<ExportChanged> queue = Channel.CreateBounded<ExportChanged>(
            new BoundedChannelOptions(feed.options.Value.SubscriberQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        private readonly Lock offerGate = new();
        private readonly CancellationTokenSource stop = new();
        private readonly Dictionary<Guid, int> versions = [];
        // Where this subscription's own catch-up starts if it falls behind before it queued anything.
        private long lastQueued = feed.LastEventId;

        // Set when the queue overflowed: the event id after which this subscription must read the rows itself.
        private long? catchUpAfter;
        private int disposed;

        public Scope Scope { get; } = scope;

        public void Start() => _ = Task.Run(RunAsync);

        public void Offer(ExportChanged change)
        {
            lock (offerGate)
            {
                if (catchUpAfter is not null)
                {
                    // Missing it now is fine: the catch-up reads it from its row.
                    return;
                }
                if (queue.Writer.TryWrite(change))
                {
                    lastQueued = Math.Max(lastQueued, change.EventId);
                    return;
                }
                catchUpAfter = lastQueued;
            }
            LogOverflow(feed.logger, capacity, change.EventId);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0)
            {
                return;
            }
            feed.Remove(this);
            queue.Writer.TryComplete();
            // Not disposed: the reader may still be looking at its token.
            stop.Cancel();
        }

        private async Task RunAsync()
        {
            var token = stop.Token;
            try
            {
                while (await queue.Reader.WaitToReadAsync(token))
                {
                    while (queue.Reader.TryRead(out var change))
                    {
                        await HandleAsync(change);
                    }
                    long? after;
                    lock (offerGate)
                    {
                        after = catchUpAfter;
                    }
                    if (after is { } eventId)
                    {
                        await CatchUpAsync(eventId, token);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (ObjectDisposedException) when (Volatile.Read(ref disposed) == 1)
            {
            }
        }

        private async Task CatchUpAsync(long after, CancellationToken cancellationToken)
        {
            // Everything queued was queued before the gap; then reopen the queue and read the gap from the rows.
            // What arrives meanwhile is read again or newer, and the versions sort that out.
            while (queue.Reader.TryRead(out var queued))
            {
                await HandleAsync(queued);
            }
            lock (offerGate)
            {
                catchUpAfter = null;
            }
            try
            {
                var cursor = await feed.ReadAfterAsync(after, HandleAsync, cancellationToken);
                LogCaughtUp(feed.logger, after, cursor);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCatchUpFailed(feed.logger, after, ex);
            }
        }

        private async Task HandleAsync(ExportChanged change)
        {
            // A catch-up reads every request's rows: those of others are not this subscription's.
            if (!Scope.Concerns(change))
            {
                return;
            }
            if (versions.TryGetValue(change.ExportId, out var seen) && change.Version <= seen)
            {
                return;
            }
            if (versions.Count >= MaxTrackedExports)
            {
                versions.Clear();
            }
            versions[change.ExportId] = change.Version;
            try
            {
                await handler(change);
            }
            catch (Exception ex)
            {
                // A broken page must not stop its own later changes either.
                LogSubscriberFailed(feed.logger, change.ExportId, ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "A subscriber failed to handle the change of export request {ExportId}")]
    private static partial void LogSubscriberFailed(ILogger logger, Guid exportId, Exception ex);

    [LoggerMessage(LogLevel.Warning, "A subscriber fell {Capacity} changes behind at event {EventId}; it will catch up from the event rows")]
    private static partial void LogOverflow(ILogger logger, int capacity, long eventId);

    [LoggerMessage(LogLevel.Information, "A subscriber caught up from event {After} to {Cursor}")]
    private static partial void LogCaughtUp(ILogger logger, long after, long cursor);

    [LoggerMessage(LogLevel.Information, "Open pages and hub clients caught up from the event rows: {Read} changes after event {After}, to {Cursor}")]
    private static partial void LogFeedCaughtUp(ILogger logger, int read, long after, long cursor);

    [LoggerMessage(LogLevel.Warning, "A subscriber could not catch up after event {After}")]
    private static partial void LogCatchUpFailed(ILogger logger, long after, Exception ex);
}
