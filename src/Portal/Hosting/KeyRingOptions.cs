using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography.X509Certificates;

namespace Portal.Hosting;

/// <summary>
/// Section <c>DataProtection</c>: the certificate that encrypts at rest the keys of the key ring (kept in the
/// database) behind session cookies, antiforgery tokens and stored secrets, and where an older deployment kept them.
/// Without a certificate the keys are stored in clear, which only Development allows unless
/// <see cref="AllowUnprotectedKeys"/> accepts the risk.
/// </summary>
public sealed class KeyRingOptions
{
    public const string SectionName = "DataProtection";

    /// <summary>A PKCS#12 (<c>.pfx</c>) file with the private key that encrypts and decrypts the keys.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Instead of a file: the thumbprint of a certificate with its private key in the <c>My</c> store.</summary>
    [RegularExpression("^[0-9A-Fa-f]{40}$", ErrorMessage = "DataProtection:CertificateThumbprint must be the certificate's 40 hexadecimal digits (SHA-1 thumbprint).")]
    public string? CertificateThumbprint { get; set; }

    /// <summary>The store <see cref="CertificateThumbprint"/> is looked up in.</summary>
    public StoreLocation CertificateStoreLocation { get; set; } = StoreLocation.CurrentUser;

    /// <summary>
    /// Only for the one-time move of an older deployment's key ring: the folder its keys were kept in (one instance
    /// without Redis). Empty: the framework's default (<c>~/.aspnet/DataProtection-Keys</c> on Linux). The key ring
    /// itself lives in the database; the folder is read once, while the database holds no key, and never written.
    /// </summary>
    public string? KeysPath { get; set; }

    /// <summary>Outside Development, accepts a key ring stored in clear; anyone who reads it can forge a session.</summary>
    public bool AllowUnprotectedKeys { get; set; }

    public bool HasCertificate => !string.IsNullOrWhiteSpace(CertificatePath) || !string.IsNullOrWhiteSpace(CertificateThumbprint);

    /// <summary>Why a key ring without a certificate may not start outside Development, and which settings to set.</summary>
    public const string UnprotectedProblem =
        "The Data Protection key ring (it protects session cookies and antiforgery tokens) would be stored unencrypted in the database, " +
        "and anyone who reads it could forge a session. Set DataProtection:CertificatePath (with DataProtection:CertificatePassword) " +
        "or DataProtection:CertificateThumbprint to encrypt its keys, or set DataProtection:AllowUnprotectedKeys=true to accept the risk.";
}
