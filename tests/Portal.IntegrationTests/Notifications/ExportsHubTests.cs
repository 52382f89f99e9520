using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Testing;
using Portal.Tracking;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Notifications;

public class ExportsHubTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<(HubConnection Connection, ConcurrentQueue<ExportChanged> Received)> ConnectAsync(ExportUser user)
    {
        var received = new ConcurrentQueue<ExportChanged>();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers[TestAuthentication.Header] = TestAuthentication.For(user);
            })
            .Build();
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, received.Enqueue);
        await connection.StartAsync(Cancellation);
        return (connection, received);
    }

    [Fact]
    public async Task OwnersHearTheirOwnChangesAndAdminsHearEveryone()
    {
        var alice = User("HubAlice");
        var bob = User("HubBob");
        var admin = User("HubAdmin", admin: true);
        var (aliceConnection, aliceReceived) = await ConnectAsync(alice);
        var (bobConnection, bobReceived) = await ConnectAsync(bob);
        var (adminConnection, adminReceived) = await ConnectAsync(admin);
        await using var _ = aliceConnection;
        await using var __ = bobConnection;
        await using var ___ = adminConnection;

        var alicesId = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Csv, Cancellation));
        var bobsId = Accepted(await portal.Exports().SubmitAsync(bob, Day(), FileFormat.Json, Cancellation));
        await portal.WaitForStatusAsync(alicesId, ExportStatus.Completed);
        await portal.WaitForStatusAsync(bobsId, ExportStatus.Completed);
        await Eventually.HoldsAsync(
            () => aliceReceived.Any(c => c.Status == ExportStatus.Completed)
                && bobReceived.Any(c => c.Status == ExportStatus.Completed)
                && adminReceived.Count(c => c.Status == ExportStatus.Completed) >= 2,
            "each hub client to hear the completions it may see");

        Assert.All(aliceReceived, c => Assert.Equal(alicesId, c.ExportId));
        Assert.All(bobReceived, c => Assert.Equal(bobsId, c.ExportId));
        Assert.Contains(adminReceived, c => c.ExportId == alicesId);
        Assert.Contains(adminReceived, c => c.ExportId == bobsId);
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted], aliceReceived.Select(c => c.Status).Take(2));
        Assert.Equal(ExportStatus.Completed, aliceReceived.Last().Status);
        var completed = aliceReceived.Single(c => c.Status == ExportStatus.Completed);
        Assert.Equal(4320, completed.RowCount);
        Assert.Equal(1, completed.FileCount);
        Assert.Equal(aliceReceived.Select(c => c.Version).Order(), aliceReceived.Select(c => c.Version));
        Assert.Equal(aliceReceived.Select(c => c.EventId).Order(), aliceReceived.Select(c => c.EventId));
    }

    [Fact]
    public async Task AnAnonymousNegotiateIsRefused()
    {
        using var client = portal.CreateClient();

        using var response = await client.PostAsync($"{ExportsHub.Path}/negotiate?negotiateVersion=1", null, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task EventsCarryNoUrl()
    {
        var user = User("HubCarol");
        var (connection, received) = await ConnectAsync(user);
        await using var _ = connection;
        var id = Accepted(await portal.Exports().SubmitAsync(user, Day(3), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        await Eventually.HoldsAsync(() => received.Any(c => c.Status == ExportStatus.Completed), "the hub client to hear the completion");

        Assert.All(received, c => Assert.DoesNotContain("http", c.ToString(), StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(typeof(ExportChanged).GetProperties(), p => p.PropertyType == typeof(Uri));
    }

    [Fact]
    public async Task ChangesSinceGivesAUserOnlyTheirOwnChangesAndAnAdminEveryonesInOrder()
    {
        var alice = User("SinceAlice");
        var bob = User("SinceBob");
        var admin = User("SinceAdmin", admin: true);
        var alicesId = Accepted(await portal.Exports().SubmitAsync(alice, Day(4), FileFormat.Csv, Cancellation));
        var bobsId = Accepted(await portal.Exports().SubmitAsync(bob, Day(4), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(alicesId, ExportStatus.Completed);
        await portal.WaitForStatusAsync(bobsId, ExportStatus.Completed);
        var (aliceConnection, _) = await ConnectAsync(alice);
        var (adminConnection, _) = await ConnectAsync(admin);
        await using var _ = aliceConnection;
        await using var __ = adminConnection;

        var alices = await aliceConnection.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), 0L, Cancellation);
        var everyones = await adminConnection.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), 0L, Cancellation);
        var alicesLast = await aliceConnection.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), alices[^2].EventId, Cancellation);

        Assert.Equal(ExportStatus.Queued, alices[0].Status);
        Assert.Equal(ExportStatus.Completed, alices[^1].Status);
        Assert.All(alices, c => Assert.Equal(alice.Id, c.OwnerId));
        Assert.DoesNotContain(alices, c => c.ExportId == bobsId);
        Assert.Equal(alices.Select(c => c.EventId).Order(), alices.Select(c => c.EventId));
        Assert.Contains(everyones, c => c.ExportId == alicesId);
        Assert.Contains(everyones, c => c.ExportId == bobsId);
        Assert.InRange(everyones.Count, alices.Count + 1, ExportsHub.MaxChangesSince);
        Assert.Equal(alices[^1], Assert.Single(alicesLast));
    }

    [Fact]
    public async Task ASubscriberThatBlocksDelaysNeitherTheOtherSubscribersNorTheHubNorTheDispatcher()
    {
        var user = User("HubPatient");
        var id = Accepted(await portal.Exports().SubmitAsync(user, Day(5), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var feed = portal.Services.GetRequiredService<IExportChangeFeed>();
        var stuck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowHeard = new ConcurrentQueue<long>();
        var pageHeard = new ConcurrentDictionary<long, long>();
        var hubHeard = new ConcurrentDictionary<long, long>();
        using var slow = feed.Subscribe(async c =>
        {
            stuck.TrySetResult();
            await release.Task;
            slowHeard.Enqueue(c.EventId);
        });
        using var page = feed.Subscribe(c => { pageHeard.TryAdd(c.EventId, Stopwatch.GetTimestamp()); return Task.CompletedTask; });
        var (connection, _) = await ConnectAsync(user);
        await using var _ = connection;
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, c => hubHeard.TryAdd(c.EventId, Stopwatch.GetTimestamp()));

        var saved = new Dictionary<long, long>();
        try
        {
            await SaveNoteAsync(id, "The slow page gets stuck on this one.");
            await stuck.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
            for (var i = 0; i < 10; i++)
            {
                var before = Stopwatch.GetTimestamp();
                saved[await SaveNoteAsync(id, $"Note {i}.")] = before;
            }
            await Eventually.HoldsAsync(() => saved.Keys.All(pageHeard.ContainsKey) && saved.Keys.All(hubHeard.ContainsKey), "the other page and the hub client to hear every note");

            Assert.False(release.Task.IsCompleted);
            Assert.All(saved, s => Assert.True(Stopwatch.GetElapsedTime(s.Value, pageHeard[s.Key]) < TimeSpan.FromSeconds(1.5), "the other page heard it at once"));
            Assert.All(saved, s => Assert.True(Stopwatch.GetElapsedTime(s.Value, hubHeard[s.Key]) < TimeSpan.FromSeconds(1.5), "the hub client heard it at once"));
            await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
            var ids = saved.Keys.ToList();
            Assert.Equal(ids.Count, await db.ExportEvents.CountAsync(e => ids.Contains(e.Id) && e.PublishedAt != null, Cancellation));
            Assert.Empty(slowHeard);
        }
        finally
        {
            release.TrySetResult();
        }
        await Eventually.HoldsAsync(() => saved.Keys.All(slowHeard.Contains), "the slow page to catch up once released");
    }

    /// <summary>A change saved the way the tracker saves one (row and event row, one transaction), then the outbox woken.</summary>
    private async Task<long> SaveNoteAsync(Guid id, string detail)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var row = await db.ExportRequests.SingleAsync(e => e.Id == id, Cancellation);
        row.Version++;
        row.UpdatedAt = DateTimeOffset.UtcNow;
        var note = new ExportEvent
        {
            ExportId = id, OwnerId = row.OwnerId, Version = row.Version, At = row.UpdatedAt,
            From = row.Status, To = row.Status, Actor = ExportProgress.TrackerActor, Detail = detail,
        };
        db.ExportEvents.Add(note);
        await db.SaveChangesAsync(Cancellation);
        portal.Services.GetRequiredService<IExportOutbox>().Wake();
        return note.Id;
    }
}
