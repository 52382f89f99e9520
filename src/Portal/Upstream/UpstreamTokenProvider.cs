using System.Net.Http.Headers;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.Options;

namespace Portal.Upstream;

/// <summary>Client-credentials tokens for the upstream, cached until shortly before they expire.</summary>
public sealed partial class UpstreamTokenProvider(
    IHttpClientFactory httpClientFactory,
    IOptions<UpstreamOptions> options,
    UpstreamEndpoint endpoint,
    TimeProvider time,
    ILogger<UpstreamTokenProvider> logger) : IDisposable
{
    public const string HttpClientName = "upstream-token";

    private readonly SemaphoreSlim gate = new(1, 1);
    private CachedToken? current;

    /// <summary>A usable token; <paramref name="rejected"/> is one the upstream just refused and must not be reused.</summary>
    public async Task<string> GetTokenAsync(string? rejected, CancellationToken cancellationToken)
    {
        if (Usable(current, rejected) is { } token)
        {
            return token;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (Usable(current, rejected) is { } fresh)
            {
                return fresh;
            }

            var o = options.Value;
            using var http = httpClientFactory.CreateClient(HttpClientName);
            using var response = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
            {
                Address = endpoint.TokenUri.ToString(),
                ClientId = o.ClientId,
                ClientSecret = o.ClientSecret,
                Scope = o.Scope.Length > 0 ? o.Scope : null,
                ClientCredentialStyle = ClientCredentialStyle.PostBody,
            }, cancellationToken);

            if (response.Exception is UpstreamCallNotSentException notSent)
            {
                // Not a verdict on the credentials: the call was held back (paused or over budget).
                throw notSent;
            }
            if (response.IsError || string.IsNullOrEmpty(response.AccessToken))
            {
                var reason = response.ErrorType == ResponseErrorType.Exception
                    ? response.Exception?.GetType().Name ?? "no answer"
                    : $"{(int)response.HttpStatusCode} {response.Error}";
                throw new UpstreamAuthenticationException($"The device platform's token endpoint refused the portal's credentials ({reason}).");
            }

            var lifetime = TimeSpan.FromSeconds(response.ExpiresIn > 0 ? response.ExpiresIn : 300);
            var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(60).Ticks, lifetime.Ticks / 10));
            current = new CachedToken(response.AccessToken, time.GetUtcNow() + lifetime - margin);
            LogTokenAcquired(logger, (int)lifetime.TotalSeconds);
            return response.AccessToken;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose() => gate.Dispose();

    private string? Usable(CachedToken? token, string? rejected) =>
        token is not null && token.Value != rejected && time.GetUtcNow() < token.RefreshAt ? token.Value : null;

    private sealed record CachedToken(string Value, DateTimeOffset RefreshAt);

    [LoggerMessage(LogLevel.Debug, "Acquired an upstream access token valid for {Seconds} s")]
    private static partial void LogTokenAcquired(ILogger logger, int seconds);
}

public sealed class UpstreamAuthenticationException(string message) : Exception(message);

/// <summary>Puts the bearer token on every upstream call; on a 401 fetches a new token once and retries once.</summary>
internal sealed class UpstreamAuthHandler(UpstreamTokenProvider tokens) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await tokens.GetTokenAsync(rejected: null, cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode != System.Net.HttpStatusCode.Unauthorized)
        {
            return response;
        }

        response.Dispose();
        token = await tokens.GetTokenAsync(rejected: token, cancellationToken);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }
}
