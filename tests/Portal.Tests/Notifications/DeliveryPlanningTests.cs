using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications;
using Portal.Tests.Tracking;

namespace Portal.Tests.Notifications;

public class DeliveryPlanningTests
{
    private const string PlannedMarker = "planned for event ";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task APlannerThatFailsLeavesTheBatchUnpublishedAndTheNextDispatchPlansEachChangeOnce()
    {
        var planner = new NoticePerChange { FailuresLeft = 1 };
        await using var host = await EngineTestHost.StartAsync(services: s => s.AddSingleton<IDeliveryPlanner>(planner));
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await host.TrackAsync();

        var dispatcher = host.Services.GetRequiredService<ExportChangeDispatcher>();
        await Assert.ThrowsAsync<IOException>(() => dispatcher.DispatchAsync(Cancellation));
        Assert.Empty(await PlannedAsync(host));
        Assert.Equal(0, await PublishedCountAsync(host));

        await host.DispatchAsync();

        var events = (await host.RowAsync(id)).Events.Select(e => e.Id).Order().ToList();
        Assert.Equal(events, await PlannedAsync(host));
        Assert.Equal(events.Count, await PublishedCountAsync(host));
    }

    [Fact]
    public async Task TwoInstancesDispatchingOneDatabasePlanEachChangeOnce()
    {
        var file = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"), "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var settings = new Dictionary<string, string?> { ["Exports:MaxSubmissionsPerMinute"] = "100" };
        await using var a = await EngineTestHost.StartAsync(settings: settings, databaseFile: file, services: s => s.AddSingleton<IDeliveryPlanner>(new NoticePerChange()));
        await using var b = await EngineTestHost.StartAsync(settings: settings, databaseFile: file, services: s => s.AddSingleton<IDeliveryPlanner>(new NoticePerChange()));
        for (var i = 0; i < 20; i++)
        {
            var outcome = await a.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(i + 1), FileFormat.Csv, Cancellation);
            Assert.IsType<SubmitOutcome.Accepted>(outcome);
        }

        await Task.WhenAll(DispatchRepeatedlyAsync(a), DispatchRepeatedlyAsync(b));

        await using var db = await a.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var events = await db.ExportEvents.Select(e => e.Id).OrderBy(e => e).ToListAsync(Cancellation);
        Assert.Equal(20, events.Count);
        Assert.Equal(events, await PlannedAsync(a));
    }

    private static async Task DispatchRepeatedlyAsync(EngineTestHost host)
    {
        var dispatcher = host.Services.GetRequiredService<ExportChangeDispatcher>();
        for (var i = 0; i < 10; i++)
        {
            await dispatcher.DispatchAsync(Cancellation);
        }
    }

    private static async Task<List<long>> PlannedAsync(EngineTestHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var texts = await db.ExportNotices.Where(n => n.Text.StartsWith(PlannedMarker)).Select(n => n.Text).ToListAsync(Cancellation);
        return texts.Select(t => long.Parse(t[PlannedMarker.Length..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
    }

    private static async Task<int> PublishedCountAsync(EngineTestHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportEvents.CountAsync(e => e.PublishedAt != null, Cancellation);
    }

    /// <summary>A durable channel that writes one notice row per change it plans.</summary>
    private sealed class NoticePerChange : IDeliveryPlanner
    {
        public int FailuresLeft { get; set; }

        public Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
        {
            foreach (var change in changes)
            {
                db.ExportNotices.Add(new ExportNoticeEntry
                {
                    ExportId = change.ExportId, OwnerId = change.OwnerId, Status = change.Status, At = change.At,
                    Text = FormattableString.Invariant($"{PlannedMarker}{change.EventId}"),
                });
            }
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new IOException("the mail queue's table was unreachable");
            }
            return Task.CompletedTask;
        }
    }
}
