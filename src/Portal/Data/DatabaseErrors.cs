using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Portal.Data;

/// <summary>Why the database cannot do its part right now; none of these is the fault of the row or the action at hand.</summary>
public enum DatabaseTrouble
{
    /// <summary>PostgreSQL is down, restarting or refusing connections; a connection broke under a query.</summary>
    Unreachable,

    /// <summary>SQLite's file is locked by another writer for longer than the busy timeout.</summary>
    Busy,

    /// <summary>The disk (or SQLite's page limit) is full: nothing can be written until space returns.</summary>
    Full,
}

/// <summary>
/// The one place that tells a database that is away (down, restarting, locked, full) from an error of the code or the
/// data: background loops pause and resume on it without counting a failed attempt, pages show a calm "retrying"
/// state, the API answers 503 with <c>Retry-After</c>.
/// </summary>
public static class DatabaseErrors
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    private const int SqliteFull = 13;

    /// <summary>What the database's trouble is, or null when <paramref name="exception"/> is not about its availability.</summary>
    public static DatabaseTrouble? Classify(Exception? exception)
    {
        for (var ex = exception; ex is not null; ex = ex.InnerException)
        {
            switch (ex)
            {
                case PostgresException postgres:
                    return postgres.SqlState switch
                    {
                        // 08: connection exception; 57P01-57P03: shutting down or starting; 53: out of connections,
                        // memory or disk.
                        var s when s.StartsWith("08", StringComparison.Ordinal) => DatabaseTrouble.Unreachable,
                        "57P01" or "57P02" or "57P03" => DatabaseTrouble.Unreachable,
                        "53100" => DatabaseTrouble.Full,
                        var s when s.StartsWith("53", StringComparison.Ordinal) => DatabaseTrouble.Unreachable,
                        _ => null,
                    };
                case NpgsqlException:
                    // Not an error the server sent: the connection could not be made or broke (I/O, timeout).
                    return DatabaseTrouble.Unreachable;
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode switch
                    {
                        SqliteBusy or SqliteLocked => DatabaseTrouble.Busy,
                        SqliteFull => DatabaseTrouble.Full,
                        _ => null,
                    };
                case SocketException:
                    return DatabaseTrouble.Unreachable;
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return aggregate.InnerExceptions.Select(Classify).FirstOrDefault(t => t is not null);
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="exception"/> says the database is away rather than that something is wrong.</summary>
    public static bool IsUnavailable(Exception? exception) => Classify(exception) is not null;

    /// <summary>What a person is told, in one sentence that says what happens next.</summary>
    public static string Describe(DatabaseTrouble trouble) => trouble switch
    {
        DatabaseTrouble.Busy => "The portal's database is busy right now. It keeps trying; this page will reload by itself.",
        DatabaseTrouble.Full => "The portal's database is full and cannot store anything right now. It keeps trying; this page will reload by itself once space returns.",
        _ => "The portal cannot reach its database right now. It keeps trying; this page will reload by itself.",
    };

    /// <summary>The same for an action or a part of a page that could not be done: it was not, and may be tried again.</summary>
    public static string DescribeForAction(DatabaseTrouble trouble) => trouble switch
    {
        DatabaseTrouble.Busy => "The portal's database is busy right now. Please try again in a moment.",
        DatabaseTrouble.Full => "The portal's database is full. Please try again once your administrator has freed space.",
        _ => "The portal cannot reach its database right now. Please try again in a moment.",
    };
}
