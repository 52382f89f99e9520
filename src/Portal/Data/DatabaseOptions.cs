namespace Portal.Data;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSQL,
}

/// <summary>Which database engine <c>ConnectionStrings:Portal</c> points at.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary><c>Sqlite</c> (one instance) or <c>PostgreSQL</c> (one or several instances on one database).</summary>
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
}
