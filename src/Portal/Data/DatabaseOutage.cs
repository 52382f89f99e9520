using Npgsql;

namespace Portal.Data;

/// <summary>
/// Whether this instance currently finds its database away, as the background loops and pages see it: logs an outage
/// once when it begins and once when it ends (with how long it lasted), never a line per row per pass. On the first
/// failure it drops Npgsql's idle connections, which a restarted server has closed (57P01): the next pass opens fresh
/// ones instead of finding each dead one in turn.
/// </summary>
public sealed partial class DatabaseOutage(TimeProvider time, ILogger<DatabaseOutage> logger)
{
    private readonly Lock gate = new();
    private DateTimeOffset? since;
    private int failures;
    private long failuresEver;

    /// <summary>
    /// A mark to pass to <see cref="Succeeded(string, long)"/>: a pass that swallowed a row's failure must not end an
    /// outage it saw continue.
    /// </summary>
    public long Mark => Interlocked.Read(ref failuresEver);

    /// <summary>When this instance first failed to reach the database in the current outage; null while it is reachable.</summary>
    public DateTimeOffset? Since
    {
        get
        {
            lock (gate)
            {
                return since;
            }
        }
    }

    /// <summary>
    /// Records <paramref name="exception"/> if it says the database is away, and returns whether it did: a caller logs
    /// other errors as its own. <paramref name="where"/> names who noticed (the tracker, a page) in the log.
    /// </summary>
    public bool Failed(Exception exception, string where)
    {
        if (DatabaseErrors.Classify(exception) is not { } trouble)
        {
            return false;
        }
        if (exception is NpgsqlException || exception.InnerException is NpgsqlException)
        {
            NpgsqlConnection.ClearAllPools();
        }
        bool began;
        Interlocked.Increment(ref failuresEver);
        lock (gate)
        {
            failures++;
            began = since is null;
            since ??= time.GetUtcNow();
        }
        if (began)
        {
            LogOutageBegan(logger, trouble, where, exception);
        }
        return true;
    }

    /// <summary>A pass that began at <paramref name="mark"/> went through: ends the outage unless a failure came meanwhile.</summary>
    public void Succeeded(string where, long mark)
    {
        if (Mark == mark)
        {
            Succeeded(where);
        }
    }

    /// <summary>The database answered: ends the outage, if one was under way, with one log line.</summary>
    public void Succeeded(string where)
    {
        DateTimeOffset? began;
        int failed;
        lock (gate)
        {
            if (since is null)
            {
                return;
            }
            (began, failed) = (since, failures);
            since = null;
            failures = 0;
        }
        LogOutageEnded(logger, where, (time.GetUtcNow() - began.Value).TotalSeconds, failed);
    }

    [LoggerMessage(LogLevel.Warning, "The portal database is unavailable ({Trouble}, noticed by {Where}); background work pauses and resumes by itself")]
    private static partial void LogOutageBegan(ILogger logger, DatabaseTrouble trouble, string where, Exception exception);

    [LoggerMessage(LogLevel.Warning, "The portal database is available again (noticed by {Where}) after {Seconds:0.0} s and {Failures} failed operations; background work resumes")]
    private static partial void LogOutageEnded(ILogger logger, string where, double seconds, int failures);
}
