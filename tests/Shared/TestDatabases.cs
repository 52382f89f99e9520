using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Data;

namespace Portal.Testing;

/// <summary>
/// The database engine a test run uses: SQLite files by default, or fresh databases on the PostgreSQL server that
/// <c>tests/run.sh</c> starts when <c>PORTAL_TEST_PROVIDER=PostgreSQL</c>. A test database is named by the SQLite
/// file it stands for, so two hosts given one file share one database on either engine.
/// </summary>
public static class TestDatabases
{
    public const string ProviderVariable = "PORTAL_TEST_PROVIDER";
    public const string PostgresVariable = "PORTAL_TEST_POSTGRES";
    public const string RedisVariable = "PORTAL_TEST_REDIS";

    /// <summary>Any fixed number: the key of the advisory lock under which one test process builds the template.</summary>
    private const long TemplateLockKey = 0x54656d706c617465;

    private static readonly Lazy<string> MigratedTemplate = new(CreateMigratedTemplate);

    public static bool IsPostgreSql { get; } = (Environment.GetEnvironmentVariable(ProviderVariable) ?? "Sqlite") switch
    {
        var p when p.Equals("Sqlite", StringComparison.OrdinalIgnoreCase) => false,
        var p when p.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase) => true,
        var p => throw new InvalidOperationException($"{ProviderVariable} is '{p}': use Sqlite or PostgreSQL."),
    };

    /// <summary>An Npgsql connection string of a superuser on the test server.</summary>
    public static string PostgresServer => Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } server
        ? server
        : throw new InvalidOperationException(
            $"{PostgresVariable} is not set: run the tests with tests/run.sh, which starts PostgreSQL and sets it " +
            "(or set it to an Npgsql connection string of a superuser).");

    /// <summary>The Redis server <c>tests/run.sh</c> started, as <c>host:port</c>.</summary>
    public static string RedisServer => Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } server
        ? server
        : throw new InvalidOperationException($"{RedisVariable} is not set: run the tests with tests/run.sh, which starts Redis and sets it.");

    /// <summary>
    /// The portal's settings for the database that <paramref name="sqliteFile"/> stands for, created if missing. On
    /// PostgreSQL it is a copy of a template the portal's own migrations built, so the portal's migrator finds nothing
    /// to apply: copying is much quicker than migrating, and hundreds of tests start a portal.
    /// </summary>
    public static Dictionary<string, string?> Settings(string sqliteFile) => IsPostgreSql
        ? new() { ["Database:Provider"] = "PostgreSQL", ["ConnectionStrings:Portal"] = CreatePostgreSqlDatabase(NameFor(sqliteFile), MigratedTemplate.Value) }
        : new() { ["Database:Provider"] = "Sqlite", ["ConnectionStrings:Portal"] = $"Data Source={sqliteFile}" };

    /// <summary>
    /// The portal's settings for a new, empty PostgreSQL database of that name, whichever engine the run uses (for
    /// tests of the migrations themselves).
    /// </summary>
    public static Dictionary<string, string?> PostgreSqlSettings(string name) =>
        new() { ["Database:Provider"] = "PostgreSQL", ["ConnectionStrings:Portal"] = CreatePostgreSqlDatabase(name) };

    /// <summary>Drops the database <paramref name="sqliteFile"/> stands for (the file itself goes with its folder).</summary>
    public static void Drop(string sqliteFile)
    {
        if (IsPostgreSql)
        {
            DropPostgreSqlDatabase(NameFor(sqliteFile));
        }
    }

    /// <summary>Creates the database (empty, or a copy of <paramref name="template"/>) unless it exists and returns its connection string.</summary>
    public static string CreatePostgreSqlDatabase(string name, string? template = null)
    {
        using (var connection = new NpgsqlConnection(Maintenance))
        {
            connection.Open();
            // A file copy of the small template is quicker than PostgreSQL 15's default, which writes every block to the WAL.
            var create = template is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY";
            using var command = new NpgsqlCommand(create, connection);
            try
            {
                command.ExecuteNonQuery();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }
        return ConnectionString(name);
    }

    public static void DropPostgreSqlDatabase(string name)
    {
        using var connection = new NpgsqlConnection(Maintenance);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    private static string Maintenance => new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString;

    private static string ConnectionString(string name) => new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;

    private static string NameFor(string sqliteFile) =>
        "portal_test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(sqliteFile))))[..24];

    /// <summary>
    /// The template: a database the portal's own migrator brought up to date, named by the migrations' script so a
    /// changed migration gets a template of its own. Test processes running at once (both test projects' passes, the
    /// classes within one) take turns on an advisory lock: the first builds it under a temporary name and renames it
    /// when complete, the others find it done.
    /// </summary>
    private static string CreateMigratedTemplate()
    {
        string name;
        using (var host = PostgreSqlDataHost("postgres"))
        using (var db = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext())
        {
            var script = db.GetService<IMigrator>().GenerateScript();
            name = "portal_template_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(script)))[..24];
        }

        using var connection = new NpgsqlConnection(Maintenance);
        connection.Open();
        Execute(connection, $"SELECT pg_advisory_lock({TemplateLockKey})");
        try
        {
            using (var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection))
            {
                exists.Parameters.AddWithValue("name", name);
                if ((long)exists.ExecuteScalar()! > 0)
                {
                    return name;
                }
            }
            // A run that died while building leaves a half-migrated database under the temporary name.
            var building = name + "_building";
            Execute(connection, $"DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)");
            Execute(connection, $"CREATE DATABASE \"{building}\"");
            using (var migrating = PostgreSqlDataHost(building))
            {
                // The portal's migrator, as a starting portal runs it.
                migrating.StartAsync().GetAwaiter().GetResult();
                migrating.StopAsync().GetAwaiter().GetResult();
            }
            // Unpooled: no connection stays open on the template, which CREATE DATABASE ... TEMPLATE would refuse.
            Execute(connection, $"ALTER DATABASE \"{building}\" RENAME TO \"{name}\"");
            return name;
        }
        finally
        {
            Execute(connection, $"SELECT pg_advisory_unlock({TemplateLockKey})");
        }
    }

    /// <summary>Only the portal's data services (and its migrator) on an unpooled connection to <paramref name="database"/>.</summary>
    private static IHost PostgreSqlDataHost(string database)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Portal"] = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = database, Pooling = false }.ConnectionString,
        });
        builder.AddPortalData();
        return builder.Build();
    }

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
