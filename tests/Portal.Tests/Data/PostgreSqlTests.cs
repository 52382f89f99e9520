using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Data;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Tracking;

namespace Portal.Tests.Data;

/// <summary>What only the PostgreSQL provider does, on the server <c>tests/run.sh</c> starts (in every pass).</summary>
public sealed class PostgreSqlTests : IDisposable
{
    private readonly string database = $"portal_pg_{Guid.NewGuid():N}";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public void Dispose() => TestDatabases.DropPostgreSqlDatabase(database);

    [Fact]
    public void AnUnknownProviderStopsTheStartNamingTheSetting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DataHost(new() { ["Database:Provider"] = "Oracle" }));

        Assert.Contains("Database:Provider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PostgreSqlWithoutAConnectionStringStopsTheStartSayingWhatToSet()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DataHost(new() { ["Database:Provider"] = "PostgreSQL" }));

        Assert.Contains("ConnectionStrings:Portal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThreeInstancesStartingTogetherApplyTheMigrationsOnce()
    {
        var settings = TestDatabases.PostgreSqlSettings(database);
        var hosts = Enumerable.Range(0, 3).Select(_ => DataHost(settings)).ToList();
        try
        {
            await Task.WhenAll(hosts.Select(h => Task.Run(() => h.StartAsync(Cancellation), Cancellation)));

            await using var connection = new NpgsqlConnection(settings["ConnectionStrings:Portal"]);
            await connection.OpenAsync(Cancellation);
            await using var command = new NpgsqlCommand("""SELECT count(*), count(DISTINCT "MigrationId") FROM "__EFMigrationsHistory" """, connection);
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            await reader.ReadAsync(Cancellation);
            await using var db = await DbFactory(hosts[0]).CreateDbContextAsync(Cancellation);
            Assert.Equal(db.Database.GetMigrations().Count(), reader.GetInt64(0));
            Assert.Equal(reader.GetInt64(0), reader.GetInt64(1));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync(CancellationToken.None);
                host.Dispose();
            }
        }
    }

    [Fact]
    public async Task TimesAreStoredAsTimestamptzInUtcAndIdsAsUuid()
    {
        await using var host = await EngineTestHost.StartAsync(settings: TestDatabases.PostgreSqlSettings(database));
        var from = new DateTimeOffset(2026, 11, 2, 1, 0, 0, TimeSpan.FromHours(2));
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, new TimeRange(from, from.AddHours(6)), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;

        var row = await host.RowAsync(id);
        Assert.Equal(from, row.RangeFrom);
        Assert.Equal(TimeSpan.Zero, row.RangeFrom.Offset);
        await using var db = await DbFactory(host.Host).CreateDbContextAsync(Cancellation);
        var types = await db.Database.SqlQuery<string>($"""
            SELECT column_name || ' ' || data_type AS "Value" FROM information_schema.columns
            WHERE table_name = 'ExportRequests' AND column_name IN ('Id', 'RangeFrom', 'NextPollAt')
            ORDER BY column_name
            """).ToListAsync(Cancellation);
        Assert.Equal(["Id uuid", "NextPollAt timestamp with time zone", "RangeFrom timestamp with time zone"], types);
    }

    [Fact]
    public async Task AClaimSkipsARowAnotherInstanceHoldsInsteadOfWaitingForIt()
    {
        var settings = new Dictionary<string, string?>(TestDatabases.PostgreSqlSettings(database))
        {
            ["Tracking:MinInterval"] = "00:00:00.010",
            ["Tracking:DenseInterval"] = "00:00:00.010",
            ["Tracking:MaxInterval"] = "00:00:00.010",
        };
        await using var host = await EngineTestHost.StartAsync(settings: settings);
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var outcome = await host.Exports().SubmitAsync(new ExportUser($"user-{i}", $"User {i}", null, false), EngineTestHost.Day(), FileFormat.Csv, Cancellation);
            ids.Add(Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id);
        }
        await host.TrackAsync();
        foreach (var id in ids)
        {
            await host.UpdateAsync(id, e => e.NextPollAt = DateTimeOffset.UtcNow.AddSeconds(-1));
        }

        // Another instance is in the middle of claiming the first row: its lock is held until that transaction ends.
        await using var other = new NpgsqlConnection(settings["ConnectionStrings:Portal"]);
        await other.OpenAsync(Cancellation);
        await using var transaction = await other.BeginTransactionAsync(Cancellation);
        await using (var lockRow = new NpgsqlCommand("""SELECT 1 FROM "ExportRequests" WHERE "Id" = @id FOR UPDATE""", other, transaction))
        {
            lockRow.Parameters.AddWithValue("id", ids[0]);
            await lockRow.ExecuteScalarAsync(Cancellation);
        }
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        bounded.CancelAfter(TimeSpan.FromSeconds(20));

        await host.NewTracker().RunPassAsync(bounded.Token);

        Assert.Equal(0, (await host.RowAsync(ids[0])).Polls);
        foreach (var id in ids.Skip(1))
        {
            Assert.Equal(1, (await host.RowAsync(id)).Polls);
        }
        await transaction.RollbackAsync(Cancellation);
    }

    private static IHost DataHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddFilter(_ => false);
        builder.AddPortalData();
        return builder.Build();
    }

    private static IDbContextFactory<PortalDbContext> DbFactory(IHost host) =>
        (IDbContextFactory<PortalDbContext>)host.Services.GetService(typeof(IDbContextFactory<PortalDbContext>))!;
}
