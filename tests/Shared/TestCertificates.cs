using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Portal.Testing;

/// <summary>Self-signed certificates with their private key, written as password-protected <c>.pfx</c> files.</summary>
public static class TestCertificates
{
    public const string Password = "pfx-password-for-tests";

    /// <summary>A new RSA certificate for encrypting the key ring, saved in <paramref name="directory"/>; returns its path.</summary>
    public static string WriteKeyRingCertificate(string directory)
    {
        Directory.CreateDirectory(directory);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Portal key ring (tests)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(directory, $"key-ring-{Guid.NewGuid():N}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, Password));
        return path;
    }
}
