using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Auth;

/// <summary>OAuth 2.0 client credentials (RFC 6749 §4.4); errors in the RFC's own form, not problem+json.</summary>
internal static class TokenEndpoint
{
    public const string Scope = "devices.status";

    public static async Task<IResult> HandleAsync(
        HttpContext context, AccessTokens tokens, IOptionsMonitor<SimulatorOptions> options)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Pragma = "no-cache";
        if (!context.Request.HasFormContentType)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", "The body must be application/x-www-form-urlencoded.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_request", "grant_type is required.");
        }

        if (grantType != "client_credentials")
        {
            return Error(StatusCodes.Status400BadRequest, "unsupported_grant_type", "Only client_credentials is supported.");
        }

        var usedBasic = TryReadBasic(context.Request, out var clientId, out var clientSecret);
        if (!usedBasic)
        {
            clientId = form["client_id"].ToString();
            clientSecret = form["client_secret"].ToString();
        }

        var settings = options.CurrentValue;
        if (!FixedTimeEquals(clientId, settings.ClientId) || !FixedTimeEquals(clientSecret, settings.ClientSecret))
        {
            if (usedBasic)
            {
                context.Response.Headers.WWWAuthenticate = "Basic realm=\"devices\"";
            }

            return Error(StatusCodes.Status401Unauthorized, "invalid_client", "Unknown client or wrong secret.");
        }

        var scope = form["scope"].ToString();
        if (scope.Length > 0 && !scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(s => s == Scope))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_scope", $"The only scope is {Scope}.");
        }

        var (token, expiresIn) = tokens.Issue(clientId);
        return Results.Json(new TokenResponse(token, "Bearer", (long)expiresIn.TotalSeconds, Scope), ApiJson.Options);
    }

    private static bool TryReadBasic(HttpRequest request, out string clientId, out string clientSecret)
    {
        clientId = clientSecret = "";
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
        }
        catch (FormatException)
        {
            return true;
        }

        // RFC 6749 §2.3.1: both halves are form-urlencoded before they are joined.
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            clientId = Uri.UnescapeDataString(decoded[..colon].Replace('+', ' '));
            clientSecret = Uri.UnescapeDataString(decoded[(colon + 1)..].Replace('+', ' '));
        }

        return true;
    }

    private static bool FixedTimeEquals(string actual, string expected) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(actual), Encoding.UTF8.GetBytes(expected));

    private static IResult Error(int status, string error, string description) =>
        Results.Json(new TokenError(error, description), ApiJson.Options, statusCode: status);

    private sealed record TokenResponse(string AccessToken, string TokenType, long ExpiresIn, string Scope);

    private sealed record TokenError(string Error, string ErrorDescription);
}
