using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Data;
using Portal.Downloads;
using Portal.Security;
using Portal.Hosting;
using Portal.Exports;
using Portal.Hosting.ScaleOut;
using Portal.Notifications;
using Portal.Notifications.Email;
using Portal.Schedules;
using Portal.Tests.Upstream;
using Portal.Tracking;
using Portal.Testing;
using Portal.Upstream;
using Portal.Webhooks;

namespace Portal.Tests.Tracking;

/// <summary>
/// The engine's services (data, client, service, tracker, outbox dispatcher and change feed) over a temporary database
/// (a SQLite file, or a PostgreSQL database with <see cref="TestDatabases.IsPostgreSql"/>) and a
/// <see cref="StubUpstream"/>; the tracker, the dispatcher and the scheduler are not started, tests drive them.
/// </summary>
public sealed class EngineTestHost : IAsyncDisposable
{
    private readonly string directory;
    private readonly string? ownDatabase;

    private EngineTestHost(IHost host, string directory, StubUpstream upstream, string? ownDatabase)
    {
        Host = host;
        this.directory = directory;
        Upstream = upstream;
        this.ownDatabase = ownDatabase;
    }

    public IHost Host { get; }

    public StubUpstream Upstream { get; }

    public IServiceProvider Services => Host.Services;

    public static async Task<EngineTestHost> StartAsync(
        StubUpstream? upstream = null,
        IDictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        string? databaseFile = null,
        Action<IServiceCollection>? services = null)
    {
        upstream ??= new StubUpstream();
        var directory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = directory });
        var ownDatabase = databaseFile is null ? Path.Combine(directory, "portal.db") : null;
        builder.Configuration.AddInMemoryCollection(TestDatabases.Settings(databaseFile ?? ownDatabase!));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Upstream:BaseUrl"] = StubUpstream.BaseAddress.ToString(),
            ["Upstream:ClientSecret"] = "secret",
            ["Upstream:RetryDelay"] = "00:00:00.010",
            ["Tracking:Enabled"] = "false",
            ["Schedules:Enabled"] = "false",
            ["Tracking:MinInterval"] = "00:00:00.010",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.AddFilter(_ => false);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddMetrics();
        builder.AddExportEngine();
        builder.AddEmailNotifications();
        builder.AddDownloads();
        builder.AddWebhooks();
        builder.AddSchedules();
        builder.AddPortalScaleOut();
        builder.Services.ConfigureHttpClientDefaults(client => client.ConfigurePrimaryHttpMessageHandler(() => upstream));
        services?.Invoke(builder.Services);
        var host = builder.Build();

        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }
        return new EngineTestHost(host, directory, upstream, ownDatabase);
    }

    public ExportOperations Exports() => new(Services.CreateScope().ServiceProvider);

    /// <summary>The stored row, deleted or not.</summary>
    public async Task<ExportRequest> RowAsync(Guid id)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        return await db.ExportRequests.IgnoreQueryFilters().Include(e => e.Files).Include(e => e.Events).AsNoTracking().SingleAsync(e => e.Id == id);
    }

    public async Task UpdateAsync(Guid id, Action<ExportRequest> change)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var row = await db.ExportRequests.SingleAsync(e => e.Id == id);
        change(row);
        await db.SaveChangesAsync();
    }

    /// <summary>One pass of a tracker: sends what is queued, polls what is due.</summary>
    public Task TrackAsync() => NewTracker().RunPassAsync(TestContext.Current.CancellationToken);

    public IExportChangeFeed Changes => Services.GetRequiredService<IExportChangeFeed>();

    /// <summary>Saves a timeline note on the request the way the tracker saves a change (row and event row, one transaction) and wakes the outbox.</summary>
    public async Task<ExportEvent> SaveNoteAsync(Guid id, string detail)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        var row = await db.ExportRequests.SingleAsync(e => e.Id == id);
        row.Version++;
        row.UpdatedAt = Now;
        var note = new ExportEvent
        {
            ExportId = id, OwnerId = row.OwnerId, Version = row.Version, At = row.UpdatedAt,
            From = row.Status, To = row.Status, Actor = ExportProgress.TrackerActor, Detail = detail,
        };
        db.ExportEvents.Add(note);
        await db.SaveChangesAsync();
        Services.GetRequiredService<IExportOutbox>().Wake();
        return note;
    }

    /// <summary>Pushes every event row not pushed yet, as the (not started) dispatcher would.</summary>
    public async Task DispatchAsync()
    {
        var dispatcher = Services.GetRequiredService<ExportChangeDispatcher>();
        while (await dispatcher.DispatchAsync(TestContext.Current.CancellationToken) > 0)
        {
        }
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds: subscribers hear changes on their own readers. Kept for the tests
    /// outside <c>Tracking</c> that still call it; new code calls <see cref="Eventually.HoldsAsync(Func{bool}, string, TimeSpan?)"/>.
    /// </summary>
    public static Task WaitUntilAsync(Func<bool> condition, string because, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(condition, because, timeout);

    /// <summary>The engine's now: its fake clock's, when the test gave it one.</summary>
    public DateTimeOffset Now => Services.GetRequiredService<TimeProvider>().GetUtcNow();

    /// <summary>A tracker of its own (a second instance shares the database, not the object).</summary>
    public ExportTracker NewTracker() => ActivatorUtilities.CreateInstance<ExportTracker>(Services);

    public async ValueTask DisposeAsync()
    {
        Host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (ownDatabase is not null)
        {
            TestDatabases.Drop(ownDatabase);
        }
        await Task.Yield();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static readonly ExportUser Alice = new("alice-oid", "Alice", "alice@example.test", IsAdmin: false);
    public static readonly ExportUser Bob = new("bob-oid", "Bob", "bob@example.test", IsAdmin: false);
    public static readonly ExportUser Admin = new("admin-oid", "Ada Admin", "ada@example.test", IsAdmin: true);

    /// <summary>A whole UTC day <paramref name="daysAgo"/> days before <paramref name="now"/> (the wall clock's when not given).</summary>
    public static TimeRange Day(int daysAgo = 2, DateTimeOffset? now = null)
    {
        var day = (now ?? DateTimeOffset.UtcNow).UtcDateTime.Date.AddDays(-daysAgo);
        return new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
    }
}
