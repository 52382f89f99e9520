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

    public sealed record Valid(AccessToken Token) : AccessTokenCheck;

    public sealed record Refused(string Reason, AccessToken? Token) : AccessTokenCheck;
}

/// <summary>
/// Personal access tokens: created by a signed-in user, stored as a SHA-256 hash only (the secret is 256 random bits,
/// so a fast hash is enough), revoked by the owner or an admin. Everything is in the database, so every instance
/// sees a revocation at once.
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

    /// <summary>Why a token cannot be created with these values, or null.</summary>
    public string? Validate(string? name, DateTimeOffset expiresAt)
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
        var max = options.Value.MaxTokenLifetime;
        return expiresAt > now + max ? $"A token may live at most {max.TotalDays:0} days." : null;
    }

    public async Task<AccessTokenCreation> CreateAsync(ExportUser user, string? name, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (Validate(name, expiresAt) is { } error)
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

    /// <summary>Looks a presented token up by its hash and records its use (at most once a minute).</summary>
    public async Task<AccessTokenCheck> CheckAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var hash = Hash(secret);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.AccessTokens.AsNoTracking().SingleOrDefaultAsync(t => t.Hash == hash, cancellationToken);
        if (token is null)
        {
            return new AccessTokenCheck.Refused("The access token is not known.", null);
        }
        if (token.RevokedAt is not null)
        {
            return new AccessTokenCheck.Refused("The access token has been revoked.", token);
        }
        if (token.ExpiresAt <= now)
        {
            return new AccessTokenCheck.Refused("The access token has expired.", token);
        }
        if (token.LastUsedAt is not { } lastUsed || now - lastUsed >= LastUsedResolution)
        {
            var usedBefore = now - LastUsedResolution;
            await db.AccessTokens.Where(t => t.Id == token.Id && (t.LastUsedAt == null || t.LastUsedAt <= usedBefore))
                .ExecuteUpdateAsync(t => t.SetProperty(x => x.LastUsedAt, now), cancellationToken);
        }
        return new AccessTokenCheck.Valid(token);
    }

    internal static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static AccessTokenInfo ToInfo(AccessToken t) =>
        new(t.Id, t.OwnerId, t.OwnerName, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt, t.RevokedBy);
}
