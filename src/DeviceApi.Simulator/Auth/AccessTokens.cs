using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Auth;

/// <summary>
/// Self-contained bearer tokens (client id and expiry, signed), so validating one needs no token store that
/// grows with every token issued.
/// </summary>
internal sealed class AccessTokens(SigningKey key, IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
{
    public (string Token, TimeSpan ExpiresIn) Issue(string clientId)
    {
        var settings = options.CurrentValue;
        var lifetime = settings.TokenLifetime;
        var validFor = settings.Faults.TokenExpiresEarlyAfter is { } early && early < lifetime ? early : lifetime;
        var expires = time.GetUtcNow().Add(validFor).ToUnixTimeMilliseconds();
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var payload = string.Create(CultureInfo.InvariantCulture, $"{clientId}\n{expires}\n{nonce}");
        var token = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload)) + "." + Base64Url.EncodeToString(key.Sign("token\n" + payload));
        return (token, lifetime);
    }

    /// <summary>The client id of a valid, unexpired token; null otherwise.</summary>
    public string? Validate(string token)
    {
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0)
        {
            return null;
        }

        string payload;
        byte[] signature;
        try
        {
            payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return null;
        }

        if (!key.Verify("token\n" + payload, signature))
        {
            return null;
        }

        var parts = payload.Split('\n');
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return null;
        }

        return time.GetUtcNow().ToUnixTimeMilliseconds() < expires ? parts[0] : null;
    }
}
