using System.Security.Claims;
using Microsoft.Extensions.Logging;

namespace Portal.Security;

/// <summary>
/// Security events, in the log category <c>Portal.Audit</c>. Callers pass ids, names and paths only: never a
/// token, a secret, a query string or a download URL (pre-signed URLs are credentials).
/// </summary>
public sealed partial class AuditLog
{
    public const string Category = "Portal.Audit";

    private readonly ILogger _logger;

    public AuditLog(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(Category);
    }

    /// <summary>A user signed in; <paramref name="method"/> is <c>EntraId</c> or <c>DevelopmentSignIn</c>.</summary>
    public void SignedIn(ClaimsPrincipal user, string method, bool isAdmin)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var userId = user.GetUserId();
            var userName = user.FindFirstValue("name") ?? user.Identity?.Name ?? "";
            LogSignedIn(userId, userName, method, isAdmin);
        }
    }

    public void SignedOut(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var userId = user.GetUserId();
            LogSignedOut(userId);
        }
    }

    /// <summary>A signed-in user was refused <paramref name="resource"/> (a path without its query, or an operation name).</summary>
    public void AccessDenied(ClaimsPrincipal user, string resource)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            var userId = user.GetUserId();
            AccessDenied(userId, resource);
        }
    }

    /// <summary>A user asked for <paramref name="operation"/> on another user's export, which was answered as not found.</summary>
    public void AccessDenied(string userId, string operation, Guid exportId)
    {
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            AccessDenied(userId, $"{operation} export {exportId}");
        }
    }

    /// <summary>An admin did <paramref name="action"/> on an export of another user.</summary>
    public void AdminAction(string userId, string action, Guid exportId, string ownerId)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // Guarded just above; the analyzer does not see the guard for this overload.
#pragma warning disable CA1873
            AdminAction(userId, action, $"export {exportId} of {ownerId}");
#pragma warning restore CA1873
        }
    }

    /// <summary>A user was refused <paramref name="resource"/> (a path without its query, or an operation name).</summary>
    [LoggerMessage(EventId = 9003, EventName = "AccessDenied", Level = LogLevel.Warning,
        Message = "Audit: {UserId} was denied {Resource}")]
    public partial void AccessDenied(string userId, string resource);

    /// <summary>An admin did something to another user's data or to the portal: <c>Cancel</c>, <c>Delete</c>, ...</summary>
    [LoggerMessage(EventId = 9004, EventName = "AdminAction", Level = LogLevel.Information,
        Message = "Audit: admin {UserId} did {Action} on {Target}")]
    public partial void AdminAction(string userId, string action, string target);

    /// <summary>A user was handed part <paramref name="part"/> of an export; the URL itself is never logged.</summary>
    [LoggerMessage(EventId = 9005, EventName = "Downloaded", Level = LogLevel.Information,
        Message = "Audit: {UserId} downloaded part {Part} of export {ExportId}")]
    public partial void Downloaded(string userId, Guid exportId, int part);

    /// <summary>A user was handed every part of an export at once, as one zip (each part is also recorded as downloaded).</summary>
    [LoggerMessage(EventId = 9040, EventName = "DownloadedAll", Level = LogLevel.Information,
        Message = "Audit: {UserId} downloaded all {Parts} parts of export {ExportId} as a zip")]
    public partial void DownloadedAll(string userId, Guid exportId, int parts);

    /// <summary>A user shared an export, read-only, with a colleague.</summary>
    [LoggerMessage(EventId = 9041, EventName = "ExportShared", Level = LogLevel.Information,
        Message = "Audit: {UserId} shared export {ExportId} with {ColleagueId}")]
    public partial void ExportShared(string userId, Guid exportId, string colleagueId);

    /// <summary>A user took back the share of an export with a colleague.</summary>
    [LoggerMessage(EventId = 9042, EventName = "ExportUnshared", Level = LogLevel.Information,
        Message = "Audit: {UserId} unshared export {ExportId} from {ColleagueId}")]
    public partial void ExportUnshared(string userId, Guid exportId, string colleagueId);

    /// <summary>A download was refused because the file's address is not one the portal sends browsers to.</summary>
    [LoggerMessage(EventId = 9007, EventName = "DownloadRefused", Level = LogLevel.Warning,
        Message = "Audit: refused to send {UserId} to {Destination} for part {Part} of export {ExportId}: {Reason}")]
    public partial void DownloadRefused(string userId, Guid exportId, int part, string destination, string reason);

    /// <summary>A personal access token was created; never the token itself, only its recognisable prefix.</summary>
    [LoggerMessage(EventId = 9008, EventName = "AccessTokenCreated", Level = LogLevel.Information,
        Message = "Audit: {UserId} created access token {TokenId} ({Prefix}…) expiring {ExpiresAt:u}")]
    public partial void AccessTokenCreated(string userId, Guid tokenId, string prefix, DateTimeOffset expiresAt);

    /// <summary>A personal access token was revoked by its owner or by an admin.</summary>
    [LoggerMessage(EventId = 9009, EventName = "AccessTokenRevoked", Level = LogLevel.Information,
        Message = "Audit: {UserId} revoked access token {TokenId} of {OwnerId}")]
    public partial void AccessTokenRevoked(string userId, Guid tokenId, string ownerId);

    /// <summary>
    /// A request to the API carried a personal access token that was refused: unknown (<paramref name="ownerId"/> empty),
    /// expired, revoked (alone or with all of its owner's tokens), or its owner has not signed in for too long.
    /// </summary>
    [LoggerMessage(EventId = 9010, EventName = "AccessTokenDenied", Level = LogLevel.Warning,
        Message = "Audit: an API request with access token {Prefix}… of {OwnerId} was refused: {Reason}")]
    public partial void AccessTokenDenied(string prefix, string ownerId, string reason);

    /// <summary>An admin revoked every access token of <paramref name="ownerId"/> at once.</summary>
    [LoggerMessage(EventId = 9020, EventName = "AccessTokensRevokedForUser", Level = LogLevel.Information,
        Message = "Audit: admin {UserId} revoked all access tokens of {OwnerId} ({Count} active)")]
    public partial void AccessTokensRevokedForUser(string userId, string ownerId, int count);

    /// <summary>
    /// A user created, deleted or tested a destination (<paramref name="action"/>); <paramref name="target"/> is where it
    /// writes, never its credential.
    /// </summary>
    [LoggerMessage(EventId = 9030, EventName = "DestinationChanged", Level = LogLevel.Information,
        Message = "Audit: {UserId} did {Action} on destination {DestinationId} ({Target}): {Outcome}")]
    public partial void Destination(string userId, string action, Guid destinationId, string target, string outcome);

    /// <summary>A signed-in session was ended because it expired or the user's rights changed.</summary>
    public void SessionRevoked(ClaimsPrincipal user, string reason)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var userId = user.GetUserId();
            LogSessionRevoked(userId, reason);
        }
    }

    [LoggerMessage(EventId = 9001, EventName = "SignedIn", Level = LogLevel.Information,
        Message = "Audit: {UserId} ({UserName}) signed in with {Method}, admin: {IsAdmin}")]
    private partial void LogSignedIn(string userId, string userName, string method, bool isAdmin);

    [LoggerMessage(EventId = 9002, EventName = "SignedOut", Level = LogLevel.Information,
        Message = "Audit: {UserId} signed out")]
    private partial void LogSignedOut(string userId);

    [LoggerMessage(EventId = 9006, EventName = "SessionRevoked", Level = LogLevel.Information,
        Message = "Audit: the session of {UserId} was ended: {Reason}")]
    private partial void LogSessionRevoked(string userId, string reason);
}
