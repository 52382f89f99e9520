using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Auth;

/// <summary>The server secret behind access tokens and download signatures, fixed for the life of the process.</summary>
internal sealed class SigningKey(IOptions<SimulatorOptions> options)
{
    private readonly byte[] _key = string.IsNullOrEmpty(options.Value.SigningSecret)
        ? RandomNumberGenerator.GetBytes(32)
        : Encoding.UTF8.GetBytes(options.Value.SigningSecret);

    public byte[] Sign(string message) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(message));

    public string SignHex(string message) => Convert.ToHexStringLower(Sign(message));

    public bool Verify(string message, ReadOnlySpan<byte> signature) =>
        CryptographicOperations.FixedTimeEquals(Sign(message), signature);
}
