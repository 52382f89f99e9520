using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Data;

public static class DataExtensions
{
    public const string ConnectionStringName = "Portal";

    /// <summary>
    /// The portal's database (<c>Database:Provider</c>, <c>ConnectionStrings:Portal</c>), migrated at start. Services
    /// ask for <see cref="IDbContextFactory{PortalDbContext}"/> whichever the provider.
    /// </summary>
    public static IHostApplicationBuilder AddPortalData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        // The provider decides the registrations, so it is read (and a wrong value refused, with its key) here.
        var provider = builder.Configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>()?.Provider ?? DatabaseProvider.Sqlite;
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (provider == DatabaseProvider.PostgreSQL)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "Database:Provider is PostgreSQL but ConnectionStrings:Portal is empty: set it to an Npgsql connection string (Host=...;Database=...;Username=...;Password=...).");
            }
            builder.Services.AddDbContextFactory<PostgreSqlPortalDbContext>(options => options.UseNpgsql(connectionString));
            builder.Services.AddSingleton<IDbContextFactory<PortalDbContext>>(services =>
                new PortalDbContextFactory<PostgreSqlPortalDbContext>(services.GetRequiredService<IDbContextFactory<PostgreSqlPortalDbContext>>()));
        }
        else
        {
            connectionString = RootedUnder(connectionString ?? "Data Source=portal.db", builder.Environment.ContentRootPath);
            builder.Services.AddDbContextFactory<PortalDbContext>(options => options
                .UseSqlite(connectionString)
                .AddInterceptors(SqlitePragmas.Instance));
        }
        builder.Services.AddSingleton<DatabaseOutage>();
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
    }

    private static string RootedUnder(string connectionString, string contentRoot)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } file && file != ":memory:" && !Path.IsPathRooted(file) && csb.Mode != SqliteOpenMode.Memory)
        {
            csb.DataSource = Path.Combine(contentRoot, file);
        }
        return csb.ToString();
    }
}

/// <summary>
/// WAL lets the tracker write while pages read; the busy timeout makes a writer wait for the other one
/// instead of failing at once.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    private const string Pragmas = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Hands out a provider's own context type as the <see cref="PortalDbContext"/> the services ask for.</summary>
internal sealed class PortalDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<PortalDbContext>
    where TContext : PortalDbContext
{
    public PortalDbContext CreateDbContext() => inner.CreateDbContext();

    public async Task<PortalDbContext> CreateDbContextAsync(CancellationToken cancellationToken = default) =>
        await inner.CreateDbContextAsync(cancellationToken);
}

/// <summary>Applies migrations before anything else starts (hosted services start in registration order).</summary>
internal sealed partial class DatabaseMigrator(IDbContextFactory<PortalDbContext> factory, ILogger<DatabaseMigrator> logger) : IHostedService
{
    /// <summary>Any fixed number, the same in every instance: the key of the session lock that serialises migrations.</summary>
    private const long MigrationLockKey = 0x506f7274616c;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await MigrateAsync(db, cancellationToken);
        LogMigrated(logger);
    }

    /// <summary>
    /// Several instances starting together on one PostgreSQL database take turns: the first applies the migrations,
    /// the others wait on the advisory lock and then find nothing to do. EF's own migration lock is taken only after
    /// it has created its history table, a step two instances can still race on; SQLite's write lock suffices there.
    /// </summary>
    internal static async Task MigrateAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
        {
            await db.Database.MigrateAsync(cancellationToken);
            return;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Portal database is up to date")]
    private static partial void LogMigrated(ILogger logger);
}

/// <summary>Lets <c>dotnet ef</c> build the model without starting the portal.</summary>
internal sealed class DesignTimePortalDbContextFactory : IDesignTimeDbContextFactory<PortalDbContext>
{
    public PortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PortalDbContext>().UseSqlite("Data Source=portal.db").Options);
}

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL model; adding a migration needs no server.</summary>
internal sealed class DesignTimePostgreSqlPortalDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlPortalDbContext>
{
    public PostgreSqlPortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlPortalDbContext>().UseNpgsql("Host=localhost;Database=portal").Options);
}
