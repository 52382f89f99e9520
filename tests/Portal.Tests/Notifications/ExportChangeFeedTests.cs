using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Testing;
using Portal.Tests.Tracking;

namespace Portal.Tests.Notifications;

public class ExportChangeFeedTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportChanged Change(Guid? exportId = null, int version = 1, long eventId = 1) =>
        new(exportId ?? Guid.NewGuid(), "alice-oid", ExportStatus.Submitted, ExportStatus.InProgress, DateTimeOffset.UtcNow, null, null, 0, version, eventId);

    private static async Task<Guid> SubmitAsync(EngineTestHost host)
    {
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await host.TrackAsync();
        return id;
    }

    [Fact]
    public async Task SubscribersReceiveChangesUntilTheyDisposeTheirSubscription()
    {
        await using var host = await EngineTestHost.StartAsync();
        var feed = host.Services.GetRequiredService<ExportChangeFeed>();
        var received = new ConcurrentQueue<ExportChanged>();
        var subscription = feed.Subscribe(change => { received.Enqueue(change); return Task.CompletedTask; });

        var first = Change();
        feed.Deliver(first);
        await Eventually.HoldsAsync(() => !received.IsEmpty, "the subscriber heard the first change");
        subscription.Dispose();
        feed.Deliver(Change());

        Assert.Equal(0, feed.SubscriberCount);
        Assert.Equal([first], received);
    }

    [Fact]
    public async Task ASubscriptionForOneRequestOrOneOwnerIsOfferedOnlyTheirChanges()
    {
        await using var host = await EngineTestHost.StartAsync();
        var feed = host.Services.GetRequiredService<ExportChangeFeed>();
        var watched = Guid.NewGuid();
        var everything = new ConcurrentQueue<ExportChanged>();
        var request = new ConcurrentQueue<ExportChanged>();
        var owner = new ConcurrentQueue<ExportChanged>();
        using var all = feed.Subscribe(change => { everything.Enqueue(change); return Task.CompletedTask; });
        using var one = feed.SubscribeToExport(watched, change => { request.Enqueue(change); return Task.CompletedTask; });
        using var bob = feed.SubscribeToOwner("bob-oid", change => { owner.Enqueue(change); return Task.CompletedTask; });

        var ofWatched = Change(watched, eventId: 1);
        var ofBob = Change(eventId: 2) with { OwnerId = "bob-oid" };
        // Each subscription handles its queue in order: once the last ones arrived, a stray one would have too.
        var lastOfWatched = Change(watched, version: 2, eventId: 4);
        var lastOfBob = Change(eventId: 5) with { OwnerId = "bob-oid" };
        foreach (var change in new[] { ofWatched, ofBob, Change(eventId: 3), lastOfWatched, lastOfBob })
        {
            feed.Deliver(change);
        }
        await Eventually.HoldsAsync(() => everything.Count == 5 && request.Count >= 2 && owner.Count >= 2, "every subscription heard its last change");

        Assert.Equal([ofWatched, lastOfWatched], request);
        Assert.Equal([ofBob, lastOfBob], owner);
        Assert.Equal(3, feed.SubscriberCount);
        one.Dispose();
        bob.Dispose();
        Assert.Equal(1, feed.SubscriberCount);
    }

    [Fact]
    public async Task AFailingSubscriberDoesNotKeepTheChangeFromTheOthersNorItsOwnNextOne()
    {
        await using var host = await EngineTestHost.StartAsync();
        var feed = host.Services.GetRequiredService<ExportChangeFeed>();
        var received = 0;
        var brokenCalls = 0;
        using var broken = feed.Subscribe(_ => { Interlocked.Increment(ref brokenCalls); throw new InvalidOperationException("a closed page"); });
        using var working = feed.Subscribe(_ => { Interlocked.Increment(ref received); return Task.CompletedTask; });

        feed.Deliver(Change());
        feed.Deliver(Change());

        await Eventually.HoldsAsync(() => Volatile.Read(ref received) == 2 && Volatile.Read(ref brokenCalls) == 2, "both subscribers were called twice");
    }

    [Fact]
    public async Task ASubscriptionDropsADuplicateAndAnOlderVersionOfARequest()
    {
        await using var host = await EngineTestHost.StartAsync();
        var feed = host.Services.GetRequiredService<ExportChangeFeed>();
        var received = new ConcurrentQueue<ExportChanged>();
        using var subscription = feed.Subscribe(change => { received.Enqueue(change); return Task.CompletedTask; });
        var id = Guid.NewGuid();

        feed.Deliver(Change(id, version: 2, eventId: 2));
        feed.Deliver(Change(id, version: 2, eventId: 2));
        feed.Deliver(Change(id, version: 1, eventId: 1));
        feed.Deliver(Change(id, version: 3, eventId: 3));
        await Eventually.HoldsAsync(() => received.Count == 2, "the new versions arrived");

        Assert.Equal([2, 3], received.Select(c => c.Version));
    }

    [Fact]
    public async Task AChangeSavedButNotMarkedPublishedIsPushedByTheNextDispatcherAndASubscriberDropsRepeats()
    {
        var directory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "portal.db");
        Guid id;
        long eventId;
        var heardBeforeTheCrash = new ConcurrentQueue<ExportChanged>();
        await using (var crashing = await EngineTestHost.StartAsync(databaseFile: file,
            services: s => s.AddSingleton<IExportChangeFanOut>(sp => new CrashAfterFanOut(sp.GetRequiredService<ExportChangeFeed>()))))
        {
            id = await SubmitAsync(crashing);
            using var page = crashing.Changes.Subscribe(c => { heardBeforeTheCrash.Enqueue(c); return Task.CompletedTask; });
            eventId = (await crashing.SaveNoteAsync(id, "Saved just before the crash.")).Id;
            await Assert.ThrowsAsync<IOException>(() => crashing.Services.GetRequiredService<ExportChangeDispatcher>().DispatchAsync(Cancellation));
            await Eventually.HoldsAsync(() => heardBeforeTheCrash.Any(c => c.EventId == eventId), "the fan-out ran before the crash");
        }

        await using var restarted = await EngineTestHost.StartAsync(databaseFile: file);
        var received = new ConcurrentQueue<ExportChanged>();
        using var subscription = restarted.Changes.Subscribe(c => { received.Enqueue(c); return Task.CompletedTask; });
        await restarted.DispatchAsync();
        await Eventually.HoldsAsync(() => received.Any(c => c.EventId == eventId), "the restarted dispatcher pushed the change again");

        var again = received.Single(c => c.EventId == eventId);
        Assert.Equal(id, again.ExportId);
        Assert.Equal("Saved just before the crash.", again.Detail);
        Assert.Equal((await restarted.RowAsync(id)).Version, again.Version);
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.Submitted], received.Select(c => c.Status));
        await using (var db = await restarted.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            Assert.False(await db.ExportEvents.AnyAsync(e => e.PublishedAt == null, Cancellation), "every row is marked published now");
        }

        // The same change once more (another instance, a retried dispatch) and an older one: neither reaches the subscriber.
        var feed = restarted.Services.GetRequiredService<ExportChangeFeed>();
        feed.Deliver(again);
        feed.Deliver(again with { Version = again.Version - 1, Detail = "older" });
        var marker = Change(version: 1, eventId: eventId + 1000);
        feed.Deliver(marker);
        await Eventually.HoldsAsync(() => received.Contains(marker), "the marker behind them arrived");
        Assert.Single(received, c => c.EventId == eventId);
        Assert.DoesNotContain(received, c => c.Detail == "older");
    }

    [Fact]
    public async Task AChangeCarriesWhoMadeItAndTheRequestsLastErrorAsItIsNow()
    {
        await using var host = await EngineTestHost.StartAsync();
        var id = await SubmitAsync(host);
        var received = new ConcurrentQueue<ExportChanged>();
        using var subscription = host.Changes.SubscribeToExport(id, c => { received.Enqueue(c); return Task.CompletedTask; });
        var note = await host.SaveNoteAsync(id, "The device platform answered 503.");
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            var row = await db.ExportRequests.SingleAsync(e => e.Id == id, Cancellation);
            row.LastError = "The device platform answered 503.";
            await db.SaveChangesAsync(Cancellation);
        }

        await host.DispatchAsync();

        await Eventually.HoldsAsync(() => received.Any(c => c.EventId == note.Id), "the note was pushed");
        var change = received.Single(c => c.EventId == note.Id);
        // What an open page needs to show the note in place, without reading the request again.
        Assert.Equal(ExportProgress.TrackerActor, change.Actor);
        Assert.Equal("The device platform answered 503.", change.LastError);
    }

    [Fact]
    public async Task ASubscriberWhoseQueueOverflowsCatchesUpFromTheEventRowsInVersionOrder()
    {
        await using var host = await EngineTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Notifications:SubscriberQueueCapacity"] = "2" });
        var id = await SubmitAsync(host);
        await host.DispatchAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new ConcurrentQueue<ExportChanged>();
        var fast = new ConcurrentQueue<ExportChanged>();
        using var slowSubscription = host.Changes.Subscribe(async c => { await release.Task; slow.Enqueue(c); });
        using var fastSubscription = host.Changes.Subscribe(c => { fast.Enqueue(c); return Task.CompletedTask; });

        var notes = new List<ExportEvent>();
        for (var i = 0; i < 12; i++)
        {
            notes.Add(await host.SaveNoteAsync(id, $"Note {i}."));
            await host.DispatchAsync();
        }
        await Eventually.HoldsAsync(() => fast.Count == 12, "the fast subscriber heard every note while the slow one was stuck");
        Assert.Empty(slow);
        release.SetResult();
        await Eventually.HoldsAsync(() => slow.Count == 12, "the slow subscriber caught up");

        Assert.Equal(notes.Select(n => n.Version), slow.Select(c => c.Version));
        Assert.Equal(notes.Select(n => n.Id), slow.Select(c => c.EventId));
        Assert.Equal(notes.Select(n => n.Version), fast.Select(c => c.Version));
    }

    /// <summary>Hands the changes on, then fails as if the process died before marking them published.</summary>
    private sealed class CrashAfterFanOut(ExportChangeFeed feed) : IExportChangeFanOut
    {
        public Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
        {
            foreach (var change in changes)
            {
                feed.Deliver(change);
            }
            throw new IOException("the process died");
        }
    }
}
