using System.Diagnostics;
using Portal.Data;

namespace Portal.Components.Shared;

/// <summary>
/// What a page does with an exception: log it with a correlation id and show a plain sentence with that id. An
/// exception's message can name a file, a host or a query; it belongs in the log, never on a page.
/// </summary>
public static partial class PageErrors
{
    public const string LoggerCategory = "Portal.Pages";

    /// <summary>Logs <paramref name="exception"/> with a new correlation id and returns the sentence to show.</summary>
    public static string Report(ILogger logger, Exception exception, string what)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (DatabaseErrors.Classify(exception) is { } trouble)
        {
            // Not a fault to report: the database is away, and the sentence says what to do. The outage itself is
            // logged once by whoever notices it first.
            LogDatabaseAway(logger, what, trouble);
            return $"{what} {DatabaseErrors.DescribeForAction(trouble)}";
        }
        var correlationId = NewCorrelationId();
        LogPageError(logger, what, correlationId, exception);
        return Sentence(what, correlationId);
    }

    /// <summary>The sentence a page shows: what failed, what to do, and the id that finds the log entry.</summary>
    public static string Sentence(string what, string correlationId) =>
        $"{what} Please try again; if it keeps happening, tell your administrator the reference {correlationId}.";

    /// <summary>
    /// Inside a request, its trace id (which the log entry and the trace carry too); on an open page, whose circuit
    /// outlives any one action, a fresh id per error.
    /// </summary>
    public static string NewCorrelationId() => Guid.NewGuid().ToString("N")[..12];

    public static string RequestCorrelationId(HttpContext? context) =>
        Activity.Current is { } activity ? activity.TraceId.ToHexString() : context?.TraceIdentifier ?? NewCorrelationId();

    [LoggerMessage(EventId = 9302, EventName = "PageDatabaseAway", Level = LogLevel.Information,
        Message = "{What} The database is away ({Trouble}).")]
    private static partial void LogDatabaseAway(ILogger logger, string what, DatabaseTrouble trouble);

    [LoggerMessage(EventId = 9301, EventName = "PageError", Level = LogLevel.Error,
        Message = "{What} Correlation id {CorrelationId}.")]
    public static partial void LogPageError(ILogger logger, string what, string correlationId, Exception exception);
}
