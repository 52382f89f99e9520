using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Webhooks;

/// <summary>
/// Signing secrets as stored: encrypted with Data Protection (purpose <see cref="Purpose"/>), so a copy of the database
/// cannot sign events. Rows written before encryption hold the <c>whsec_</c> secret itself; they are still read, and
/// <see cref="ProtectStoredAsync"/> encrypts them.
/// </summary>
public sealed class WebhookSecrets(IDataProtectionProvider dataProtection, IDbContextFactory<PortalDbContext> dbFactory)
{
    public const string Purpose = "Portal.Webhooks.Secret.v1";

    /// <summary>Starts every stored value that is encrypted; a plain secret starts with <c>whsec_</c>.</summary>
    private const string ProtectedPrefix = "dp1:";

    private readonly IDataProtector protector = dataProtection.CreateProtector(Purpose);

    public string Protect(string secret) => ProtectedPrefix + protector.Protect(secret);

    /// <summary>The <c>whsec_</c> secret of a stored value, encrypted or (written before encryption) plain.</summary>
    public string Reveal(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return stored.StartsWith(ProtectedPrefix, StringComparison.Ordinal) ? protector.Unprotect(stored[ProtectedPrefix.Length..]) : stored;
    }

    public static bool IsProtected(string? stored) => stored is null || stored.StartsWith(ProtectedPrefix, StringComparison.Ordinal);

    /// <summary>The secrets that sign at <paramref name="now"/>, decrypted: the current one, and the previous one during its overlap.</summary>
    public IReadOnlyList<string> SecretsAt(WebhookEndpoint endpoint, DateTimeOffset now) =>
        [.. WebhookSigning.SecretsAt(endpoint, now).Select(Reveal)];

    /// <summary>
    /// Encrypts the secrets still stored plain; returns how many values it changed. Each write is conditioned on the
    /// plain value, so a rotation at the same moment is never overwritten.
    /// </summary>
    public async Task<int> ProtectStoredAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plain = await db.WebhookEndpoints.AsNoTracking()
            .Where(e => !e.Secret.StartsWith(ProtectedPrefix) || (e.PreviousSecret != null && !e.PreviousSecret.StartsWith(ProtectedPrefix)))
            .Select(e => new { e.Id, e.Secret, e.PreviousSecret })
            .ToListAsync(cancellationToken);
        var changed = 0;
        foreach (var endpoint in plain)
        {
            if (!IsProtected(endpoint.Secret))
            {
                var secret = Protect(endpoint.Secret);
                changed += await db.WebhookEndpoints.Where(e => e.Id == endpoint.Id && e.Secret == endpoint.Secret)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.Secret, secret), cancellationToken);
            }
            if (!IsProtected(endpoint.PreviousSecret))
            {
                var previous = Protect(endpoint.PreviousSecret!);
                changed += await db.WebhookEndpoints.Where(e => e.Id == endpoint.Id && e.PreviousSecret == endpoint.PreviousSecret)
                    .ExecuteUpdateAsync(s => s.SetProperty(e => e.PreviousSecret, previous), cancellationToken);
            }
        }
        return changed;
    }
}
