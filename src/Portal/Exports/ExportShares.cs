using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>What a share came to.</summary>
public abstract record ShareOutcome
{
    private ShareOutcome()
    {
    }

    /// <summary>Shared (or shared already); the export's shares now.</summary>
    public sealed record Done(IReadOnlyList<ExportShareInfo> Shares) : ShareOutcome;

    /// <summary>Nothing shared; field name (<c>users</c>) to messages naming each colleague that could not be.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : ShareOutcome;

    /// <summary>The export is not there for the user to share (unknown, not readable, or only readable).</summary>
    public sealed record NotFound : ShareOutcome;
}

/// <summary>Sharing one export, read-only, with named colleagues, and taking shares back.</summary>
public interface IExportShares
{
    /// <summary>The export's shares, oldest first; null when the user may not share it.</summary>
    Task<IReadOnlyList<ExportShareInfo>?> ListAsync(ExportUser user, Guid exportId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Shares the export with <paramref name="users"/> (user ids or emails of people who have signed in to the portal).
    /// All or nothing: an unknown user or the export's owner makes it <see cref="ShareOutcome.Invalid"/>; a colleague it
    /// is shared with already stays as they are.
    /// </summary>
    Task<ShareOutcome> ShareAsync(ExportUser user, Guid exportId, IReadOnlyList<string> users, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the share with <paramref name="colleague"/> (user id or email) back; their access ends with their next
    /// request, and their open pages hear it. True also when it was not shared with them; false when the user may not
    /// share the export.
    /// </summary>
    Task<bool> UnshareAsync(ExportUser user, Guid exportId, string colleague, CancellationToken cancellationToken = default);
}

/// <summary>
/// Shares of exports, for who <see cref="ResourceAccess.CanShare"/> allows: anyone else is answered as if the export
/// did not exist. Each share and unshare is a timeline entry (routed to the colleague, see
/// <see cref="ExportProgress.AccessNote"/>) pushed through the outbox like any change, and an audit entry.
/// </summary>
public sealed class ExportShares(
    IDbContextFactory<PortalDbContext> dbFactory,
    ExportAccess access,
    AuditLog audit,
    IExportOutbox outbox,
    TimeProvider time) : IExportShares
{
    /// <summary>The field a problem with the colleagues is reported under.</summary>
    public const string Field = "users";

    /// <summary>The most colleagues one call shares with.</summary>
    public const int MaxPerCall = 50;

    private const int Attempts = 5;

    /// <summary>The shares of an export, oldest first, for a caller that has checked who asks.</summary>
    public static async Task<IReadOnlyList<ExportShareInfo>> ReadAsync(PortalDbContext db, Guid exportId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.ExportShares.AsNoTracking()
            .Where(s => s.ExportId == exportId)
            .OrderBy(s => s.SharedAt)
            .ThenBy(s => s.UserId)
            .Select(s => new ExportShareInfo(s.UserId, s.UserName, s.UserEmail, s.SharedBy, s.SharedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ExportShareInfo>?> ListAsync(ExportUser user, Guid exportId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ShareableAsync(db, user, exportId, "ListShares", cancellationToken) is null ? null : await ReadAsync(db, exportId, cancellationToken);
    }

    public async Task<ShareOutcome> ShareAsync(ExportUser user, Guid exportId, IReadOnlyList<string> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(users);
        if (users.Any(string.IsNullOrWhiteSpace))
        {
            return Invalid("A colleague's user id or email is empty.");
        }
        List<string> keys = [.. users.Select(u => u.Trim()).Distinct(StringComparer.OrdinalIgnoreCase)];
        if (keys.Count == 0)
        {
            return Invalid("Name at least one colleague, by user id or email.");
        }
        if (keys.Count > MaxPerCall)
        {
            return Invalid($"Share with at most {MaxPerCall} colleagues at once.");
        }

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ShareableAsync(db, user, exportId, "Share", cancellationToken);
            if (request is null)
            {
                return new ShareOutcome.NotFound();
            }
            var lowered = keys.Select(k => k.ToLowerInvariant()).ToList();
            // Translated to SQL's lower(), on both providers: no culture of this process is involved.
#pragma warning disable CA1304, CA1311, CA1862
            var known = await db.PortalUsers.AsNoTracking()
                .Where(u => lowered.Contains(u.Id.ToLower()) || (u.Email != null && lowered.Contains(u.Email.ToLower())))
#pragma warning restore CA1304, CA1311, CA1862
                .Select(u => new { u.Id, u.Name, u.Email })
                .ToListAsync(cancellationToken);
            var problems = new List<string>();
            var colleagues = new Dictionary<string, (string Name, string? Email)>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                // An id names one user; an email may only stand for one that no id matched.
                var found = known.FirstOrDefault(u => string.Equals(u.Id, key, StringComparison.OrdinalIgnoreCase))
                    ?? known.FirstOrDefault(u => string.Equals(u.Email, key, StringComparison.OrdinalIgnoreCase));
                if (found is null)
                {
                    problems.Add($"'{key}' is not a user of the portal: share with the user id or email of a colleague who has signed in to it at least once.");
                }
                else if (found.Id == request.OwnerId)
                {
                    problems.Add($"'{key}' is the export's owner, who has it already.");
                }
                else
                {
                    colleagues[found.Id] = (found.Name, found.Email);
                }
            }
            if (problems.Count > 0)
            {
                return new ShareOutcome.Invalid(new Dictionary<string, string[]> { [Field] = [.. problems] });
            }

            var ids = colleagues.Keys.ToList();
            var already = await db.ExportShares.Where(s => s.ExportId == exportId && ids.Contains(s.UserId)).Select(s => s.UserId).ToListAsync(cancellationToken);
            var added = colleagues.Where(c => !already.Contains(c.Key)).ToList();
            if (added.Count == 0)
            {
                return new ShareOutcome.Done(await ReadAsync(db, exportId, cancellationToken));
            }
            var now = time.GetUtcNow();
            foreach (var (id, (name, email)) in added)
            {
                db.ExportShares.Add(new ExportShare { ExportId = exportId, UserId = id, UserName = name, UserEmail = email, SharedBy = user.Id, SharedAt = now });
                ExportProgress.AccessNote(db, request, user.Name, $"Shared with {name}.", id, now);
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException ex) when (!DatabaseErrors.IsUnavailable(ex))
            {
                // The row changed meanwhile (the tracker, a download) or the same colleague was shared with at the same
                // time: read again.
                continue;
            }
            foreach (var (id, _) in added)
            {
                audit.ExportShared(user.Id, exportId, id);
            }
            outbox.Wake();
            return new ShareOutcome.Done(await ReadAsync(db, exportId, cancellationToken));
        }
        throw new InvalidOperationException($"Export {exportId} kept changing while it was being shared; try again.");
    }

    public async Task<bool> UnshareAsync(ExportUser user, Guid exportId, string colleague, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrWhiteSpace(colleague);
        var key = colleague.Trim().ToLowerInvariant();
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ShareableAsync(db, user, exportId, "Unshare", cancellationToken);
            if (request is null)
            {
                return false;
            }
#pragma warning disable CA1304, CA1311, CA1862
            var shares = await db.ExportShares
                .Where(s => s.ExportId == exportId && (s.UserId.ToLower() == key || (s.UserEmail != null && s.UserEmail.ToLower() == key)))
                .ToListAsync(cancellationToken);
#pragma warning restore CA1304, CA1311, CA1862
            // An id names one share; an email may only stand for one that no id matched.
            var share = shares.FirstOrDefault(s => string.Equals(s.UserId, key, StringComparison.OrdinalIgnoreCase)) ?? shares.FirstOrDefault();
            if (share is null)
            {
                return true;
            }
            db.ExportShares.Remove(share);
            ExportProgress.AccessNote(db, request, user.Name, $"No longer shared with {share.UserName}.", share.UserId, time.GetUtcNow());
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }
            audit.ExportUnshared(user.Id, exportId, share.UserId);
            outbox.Wake();
            return true;
        }
        throw new InvalidOperationException($"Export {exportId} kept changing while a share was being taken back; try again.");
    }

    /// <summary>The export, tracked, when <paramref name="user"/> may share it; null (audited) otherwise.</summary>
    private async Task<ExportRequest?> ShareableAsync(PortalDbContext db, ExportUser user, Guid exportId, string operation, CancellationToken cancellationToken)
    {
        var request = await ResourceAccess.ReadableExports(db, user).SingleOrDefaultAsync(e => e.Id == exportId, cancellationToken);
        if (request is null)
        {
            await access.NotFoundAsync(db, user, exportId, operation, cancellationToken);
            return null;
        }
        if (!ResourceAccess.CanShare(user, request))
        {
            access.Refused(user, operation, exportId);
            return null;
        }
        return request;
    }

    private static ShareOutcome.Invalid Invalid(string message) => new(new Dictionary<string, string[]> { [Field] = [message] });
}
