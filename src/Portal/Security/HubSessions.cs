using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// Keeps track of this instance's open hub connections and their users: <c>ExportsHubRelay</c>
/// sends changes to them, and <see cref="HubSessionRevalidator"/> re-checks them (a connection authenticates once, when
/// it opens, and would otherwise outlive the session and the rights it began with).
/// </summary>
public sealed class HubSessions : IHubFilter
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public IReadOnlyCollection<Connection> Open => [.. _connections.Values];

    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        await next(context);
        _connections[context.Context.ConnectionId] = new Connection(context.Context);
    }

    public async Task OnDisconnectedAsync(HubLifetimeContext context, Exception? exception, Func<HubLifetimeContext, Exception?, Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        _connections.TryRemove(context.Context.ConnectionId, out _);
        await next(context, exception);
    }

    internal void Forget(string connectionId) => _connections.TryRemove(connectionId, out _);

    public sealed record Connection(HubCallerContext Context);
}

/// <summary>
/// Every <see cref="SecurityOptions.RevalidationInterval"/>, the same check open pages make, for each hub connection:
/// a connection whose session expired or was revoked, or whose admin role was withdrawn, is first forgotten (so the
/// relay sends it no further change) and then closed; the client signs in again to reconnect.
/// </summary>
public sealed partial class HubSessionRevalidator(
    HubSessions sessions,
    SignedInUserValidator validator,
    AuditLog audit,
    TimeProvider time,
    IOptions<SecurityOptions> options,
    ILogger<HubSessionRevalidator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevalidationInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RevalidateAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPassFailed(logger, ex);
            }
        }
    }

    /// <summary>One pass over the open connections; returns how many were closed.</summary>
    public async Task<int> RevalidateAsync()
    {
        var closed = 0;
        foreach (var connection in sessions.Open)
        {
            var user = connection.Context.User;
            var problem = user is null ? "the connection has no user" : validator.Check(user);
            if (problem is null)
            {
                continue;
            }
            if (user is not null)
            {
                audit.SessionRevoked(user, problem + " (hub connection)");
            }
            // Forgotten first: closing takes a moment, and a former admin must not hear another change.
            sessions.Forget(connection.Context.ConnectionId);
            connection.Context.Abort();
            closed++;
        }
        return closed;
    }

    [LoggerMessage(EventId = 9011, EventName = "HubRevalidationFailed", Level = LogLevel.Error,
        Message = "Re-checking the hub connections failed; the next pass tries again.")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);
}
