using Microsoft.AspNetCore.DataProtection;

namespace Portal.Destinations;

/// <summary>
/// Destination credentials as stored: encrypted with Data Protection (purpose <see cref="Purpose"/>), so a copy of the
/// database opens no storage account or server.
/// </summary>
public sealed class DestinationSecrets(IDataProtectionProvider dataProtection)
{
    public const string Purpose = "Portal.Destinations.Secret.v1";

    private const string ProtectedPrefix = "dp1:";

    private readonly IDataProtector protector = dataProtection.CreateProtector(Purpose);

    public string Protect(string secret) => ProtectedPrefix + protector.Protect(secret);

    public string Reveal(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!stored.StartsWith(ProtectedPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("A destination's credential is not stored encrypted.");
        }
        return protector.Unprotect(stored[ProtectedPrefix.Length..]);
    }
}
