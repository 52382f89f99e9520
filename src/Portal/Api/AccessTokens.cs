using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Kernel;
using Portal.Security;

namespace Portal.Api;

/// <summary>A personal access token as its owner and admins see it: never the secret.</summary>
public sealed record AccessTokenInfo(
    Guid Id,
    string OwnerId,
    string OwnerName,
    string Name,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy)
{
    public bool IsActive(DateTimeOffset now) => RevokedAt is null && ExpiresAt > now;
}

/// <summary>The answer to a create: the token (its secret shown once) or why not.</summary>
public sealed record AccessTokenCreation(AccessTokenInfo? Token, string? Secret, string? Error);

/// <summary>What a presented token turned out to be.</summary>
public abstract record AccessTokenCheck
{
    private AccessTokenCheck() { }

    /// <summary>
    /// A token that may be used now, acting as <paramref name="Owner"/> as the portal knows them from their latest
    /// sign-in: admin only when the token was made with admin rights and that sign-in carried the admin role.
    /// </summary>
    public sealed record Valid(AccessToken Token, PortalUser Owner) : AccessTokenCheck
    {
        public bool ActsAsAdmin => Token.IsAdmin && Owner.LastSignInWasAdmin;
    }

    public sealed record Refused(string Reason, AccessToken? Token) : AccessTokenCheck;
}

/// <summary>
/// Personal access tokens: created by a signed-in user, stored as a SHA-256 hash only (the secret is 256 random bits,
/// so a fast hash is enough), revoked by the owner or an admin. Everything is in the database, so every instance
/// sees a revocation at once. Every use is checked against the owner's latest interactive sign-in
/// (<see cref="PortalUser"/>, in the same query as the token): admin only while that sign-in carried the admin role,
/// refused once the owner has not signed in for <see cref="ApiOptions.TokenOwnerIdleDays"/> or an admin revoked all
/// of the owner's tokens.
/// </summary>
public sealed class AccessTokens(
    IDbContextFactory<PortalDbContext> dbFactory,
    AuditLog audit,
    TimeProvider time,
    IOptions<ApiOptions> options)
{
    /// <summary>Every token starts with this, so it is recognisable in a script and tells itself apart from a JWT.</summary>
    public const string TokenPrefix = "dsp_";

    public const int MaxNameLength = 100;

    private const int ShownPrefixLength = 12;

    /// <summary>Last-used times are written at most this often per token: not one write per API call.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public static bool LooksLikeToken(string value) =>
        value.StartsWith(TokenPrefix, StringComparison.Ordinal) && value.Length is > 20 and < 100;

    /// <summary>
    /// The longest a token of <paramref name="isAdmin"/> may live: <see cref="ApiOptions.MaxTokenLifetime"/>, or for
    /// an admin the shorter <see cref="ApiOptions.AdminTokenMaxLifetimeDays"/>.
    /// </summary>
    public TimeSpan MaxLifetimeFor(bool isAdmin)
    {
        var settings = options.Value;
        var admin = TimeSpan.FromDays(settings.AdminTokenMaxLifetimeDays);
        return isAdmin && admin < settings.MaxTokenLifetime ? admin : settings.MaxTokenLifetime;
    }

    /// <summary>Why a token cannot be created with these values by a user who is admin or not, or null.</summary>
    public string? Validate(string? name, DateTimeOffset expiresAt, bool isAdmin = false)
    {
        var now = time.GetUtcNow();
        if (string.IsNullOrWhiteSpace(name))
        {
            return "Give the token a name, e.g. the script that will use it.";
        }
        if (name.Trim().Length > MaxNameLength)
        {
            return $"The name may be at most {MaxNameLength} characters long.";
        }
        if (NameText.HasControlCharacters(name.Trim()))
        {
            return NameText.ControlCharactersProblem("token's name");
        }
        if (expiresAt <= now)
        {
            return "The expiry must be in the future.";
        }
        var max = MaxLifetimeFor(isAdmin);
        if (expiresAt <= now + max)
        {
            return null;
        }
        return isAdmin && max < options.Value.MaxTokenLifetime
            ? $"A token with admin rights may live at most {max.TotalDays:0} days (Api:AdminTokenMaxLifetimeDays)."
            : $"A token may live at most {max.TotalDays:0} days.";
    }

    public async Task<AccessTokenCreation> CreateAsync(ExportUser user, string? name, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (Validate(name, expiresAt, user.IsAdmin) is { } error)
        {
            return new AccessTokenCreation(null, null, error);
        }
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = await db.AccessTokens.CountAsync(t => t.OwnerId == user.Id && t.RevokedAt == null && t.ExpiresAt > now, cancellationToken);
        if (active >= options.Value.MaxTokensPerUser)
        {
            return new AccessTokenCreation(null, null,
                $"You already have {active} active tokens, the most one user may hold. Revoke one you no longer use first.");
        }

        var secret = TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var token = new AccessToken
        {
            Id = Guid.CreateVersion7(now),
            OwnerId = user.Id,
            OwnerName = user.Name,
            OwnerEmail = user.Email,
            IsAdmin = user.IsAdmin,
            Name = name!.Trim(),
            Prefix = secret[..ShownPrefixLength],
            Hash = Hash(secret),
            CreatedAt = now,
            ExpiresAt = expiresAt.ToUniversalTime(),
        };
        db.AccessTokens.Add(token);
        // Tokens are made in a signed-in session: a session begun before sign-ins were recorded counts as one.
        if (!await db.PortalUsers.AnyAsync(u => u.Id == user.Id, cancellationToken))
        {
            db.PortalUsers.Add(new PortalUser { Id = user.Id, Name = user.Name, Email = user.Email, LastSignInAt = now, LastSignInWasAdmin = user.IsAdmin });
        }
        await db.SaveChangesAsync(cancellationToken);
        audit.AccessTokenCreated(user.Id, token.Id, token.Prefix, token.ExpiresAt);
        return new AccessTokenCreation(ToInfo(token), secret, null);
    }

    /// <summary>The user's own tokens, newest first; with <paramref name="everyone"/>, an admin's view of all users' tokens.</summary>
    public async Task<IReadOnlyList<AccessTokenInfo>> ListAsync(ExportUser user, bool everyone = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tokens = everyone && user.IsAdmin ? db.AccessTokens : db.AccessTokens.Where(t => t.OwnerId == user.Id);
        var rows = await tokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).Take(1000).ToListAsync(cancellationToken);
        return [.. rows.Select(ToInfo)];
    }

    /// <summary>Revokes the user's own token, or anyone's for an admin. False when not found (or not the user's) or already revoked.</summary>
    public async Task<bool> RevokeAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var tokens = user.IsAdmin ? db.AccessTokens : db.AccessTokens.Where(t => t.OwnerId == user.Id);
        var ownerId = await tokens.Where(t => t.Id == id && t.RevokedAt == null).Select(t => t.OwnerId).SingleOrDefaultAsync(cancellationToken);
        if (ownerId is null)
        {
            return false;
        }
        // Conditional, so two revocations at once record one.
        var revoked = await tokens.Where(t => t.Id == id && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokedBy, user.Name), cancellationToken);
        if (revoked == 0)
        {
            return false;
        }
        audit.AccessTokenRevoked(user.Id, id, ownerId);
        return true;
    }

    /// <summary>
    /// Revokes every active token of <paramref name="ownerId"/> and, when the portal knows the owner, refuses every
    /// token they made before now. Admins only: null (and audited) for anyone else; else how many active tokens were revoked.
    /// </summary>
    public async Task<int?> RevokeAllAsync(ExportUser admin, string ownerId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerId);
        if (!admin.IsAdmin)
        {
            audit.AccessDenied(admin.Id, $"revoke all access tokens of {ownerId}");
            return null;
        }
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.PortalUsers.Where(u => u.Id == ownerId).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.TokensRevokedAt, now)
            .SetProperty(x => x.TokensRevokedBy, admin.Name), cancellationToken);
        var revoked = await db.AccessTokens.Where(t => t.OwnerId == ownerId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokedBy, admin.Name), cancellationToken);
        audit.AccessTokensRevokedForUser(admin.Id, ownerId, revoked);
        return revoked;
    }

    /// <summary>
    /// Looks a presented token up by its hash, with its owner's latest sign-in in the same query, and records its use
    /// (at most once a minute).
    /// </summary>
    public async Task<AccessTokenCheck> CheckAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var hash = Hash(secret);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // One query on two unique keys: the token's hash and the owner's id.
        var found = await (
                from t in db.AccessTokens.AsNoTracking()
                where t.Hash == hash
                join u in db.PortalUsers.AsNoTracking() on t.OwnerId equals u.Id into owners
                from u in owners.DefaultIfEmpty()
                select new { Token = t, Owner = u })
            .SingleOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return new AccessTokenCheck.Refused("The access token is not known.", null);
        }
        var (token, owner) = (found.Token, found.Owner);
        if (token.RevokedAt is not null)
        {
            return new AccessTokenCheck.Refused("The access token has been revoked.", token);
        }
        if (token.ExpiresAt <= now)
        {
            return new AccessTokenCheck.Refused("The access token has expired.", token);
        }
        if (owner?.TokensRevokedAt is { } allRevoked && allRevoked >= token.CreatedAt)
        {
            return new AccessTokenCheck.Refused("The access token has been revoked: an admin revoked all tokens of its owner.", token);
        }
        var idleDays = options.Value.TokenOwnerIdleDays;
        if (owner is null || owner.LastSignInAt <= now - TimeSpan.FromDays(idleDays))
        {
            return new AccessTokenCheck.Refused(
                $"The access token's owner has not signed in to the portal for {idleDays} days (Api:TokenOwnerIdleDays): " +
                "sign in to the portal once, and the token works again.", token);
        }
        if (token.LastUsedAt is not { } lastUsed || now - lastUsed >= LastUsedResolution)
        {
            var usedBefore = now - LastUsedResolution;
            await db.AccessTokens.Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= usedBefore))
                .ExecuteUpdateAsync(t => t.SetProperty(x => x.LastUsedAt, now), cancellationToken);
        }
        return new AccessTokenCheck.Valid(token, owner);
    }

    internal static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static AccessTokenInfo ToInfo(AccessToken t) =>
        new(t.Id, t.OwnerId, t.OwnerName, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt, t.RevokedBy);
}
