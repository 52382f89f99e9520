using System.Security.Cryptography;
using System.Text;
using Npgsql;

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

    /// <summary>The portal's settings for the database that <paramref name="sqliteFile"/> stands for, created if missing.</summary>
    public static Dictionary<string, string?> Settings(string sqliteFile) => IsPostgreSql
        ? new() { ["Database:Provider"] = "PostgreSQL", ["ConnectionStrings:Portal"] = CreatePostgreSqlDatabase(NameFor(sqliteFile)) }
        : new() { ["Database:Provider"] = "Sqlite", ["ConnectionStrings:Portal"] = $"Data Source={sqliteFile}" };

    /// <summary>The portal's settings for a new PostgreSQL database of that name, whichever engine the run uses.</summary>
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

    /// <summary>Creates the database unless it exists and returns its connection string.</summary>
    public static string CreatePostgreSqlDatabase(string name)
    {
        using (var connection = new NpgsqlConnection(Maintenance))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            try
            {
                command.ExecuteNonQuery();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
            }
        }
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = name }.ConnectionString;
    }

    public static void DropPostgreSqlDatabase(string name)
    {
        using var connection = new NpgsqlConnection(Maintenance);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
        command.ExecuteNonQuery();
    }

    private static string Maintenance => new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString;

    private static string NameFor(string sqliteFile) =>
        "portal_test_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(sqliteFile))))[..24];
}
