using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Data;

public static class DataExtensions
{
    public const string ConnectionStringName = "Portal";

    /// <summary>The portal's SQLite database (<c>ConnectionStrings:Portal</c>), migrated at start.</summary>
    public static IHostApplicationBuilder AddPortalData(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName) ?? "Data Source=portal.db";
        connectionString = RootedUnder(connectionString, builder.Environment.ContentRootPath);
        builder.Services.AddDbContextFactory<PortalDbContext>(options => options
            .UseSqlite(connectionString)
            .AddInterceptors(SqlitePragmas.Instance));
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

/// <summary>Applies migrations before anything else starts (hosted services start in registration order).</summary>
internal sealed partial class DatabaseMigrator(IDbContextFactory<PortalDbContext> factory, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        LogMigrated(logger);
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
