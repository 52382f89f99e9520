using System.Security.Claims;

namespace Portal.Security;

/// <summary>
/// The one Entra ID tenant whose users and apps the portal admits (<c>AzureAd:TenantId</c>). Outside Development the
/// start refuses anything but a tenant id (a GUID); sign-ins and bearer tokens are then checked against it by their
/// <c>tid</c> claim, so a multi-tenant app registration cannot let another tenant's accounts in.
/// </summary>
public sealed class EntraTenant
{
    /// <summary>The claim types Entra's tenant id arrives as (mapped by the handler, or as issued).</summary>
    public static readonly IReadOnlyList<string> ClaimTypes = ["http://schemas.microsoft.com/identity/claims/tenantid", "tid"];

    /// <summary>Values of <c>AzureAd:TenantId</c> that admit more than one tenant.</summary>
    public static readonly IReadOnlyList<string> MultiTenantValues = ["common", "organizations", "consumers"];

    public EntraTenant(string? tenantId)
    {
        Id = Guid.TryParse(tenantId, out var id) ? id : null;
    }

    /// <summary>The pinned tenant; null when <c>AzureAd:TenantId</c> is not a tenant id (Development only), which pins nothing.</summary>
    public Guid? Id { get; }

    /// <summary>Why <paramref name="identity"/> is not from the pinned tenant, or null when it is (or nothing is pinned).</summary>
    public string? Check(ClaimsIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        if (Id is not { } pinned)
        {
            return null;
        }
        var tid = identity.Claims.FirstOrDefault(c => ClaimTypes.Contains(c.Type, StringComparer.Ordinal))?.Value;
        if (tid is null)
        {
            return "the sign-in carries no tenant id (tid)";
        }
        return Guid.TryParse(tid, out var tenant) && tenant == pinned ? null : $"the sign-in is from tenant {tid}, not the portal's";
    }

    /// <summary>True for <c>common</c>, <c>organizations</c> and <c>consumers</c>.</summary>
    public static bool IsMultiTenant(string? tenantId) =>
        tenantId is not null && MultiTenantValues.Contains(tenantId.Trim(), StringComparer.OrdinalIgnoreCase);
}
