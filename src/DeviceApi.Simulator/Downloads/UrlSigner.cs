using System.Globalization;
using DeviceApi.Simulator.Auth;

namespace DeviceApi.Simulator.Downloads;

/// <summary>Pre-signed download URLs: lowercase hex HMAC-SHA256 over <c>GET\n{path}\n{expires}</c>.</summary>
internal sealed class UrlSigner(SigningKey key)
{
    public string Signature(string path, string expires) => key.SignHex($"GET\n{path}\n{expires}");

    /// <summary>The path with its query: <c>?expires=...&amp;signature=...</c>.</summary>
    public string SignedQuery(string path, long expires)
    {
        var expiresText = expires.ToString(CultureInfo.InvariantCulture);
        return $"?expires={expiresText}&signature={Signature(path, expiresText)}";
    }

    public bool IsValid(string path, string expires, string signature)
    {
        if (signature.Length != 64)
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return key.Verify($"GET\n{path}\n{expires}", bytes);
    }
}
