using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Portal.Upstream;

/// <summary>
/// Where the upstream lives. With an empty <c>Upstream:BaseUrl</c> it is the portal's own listening address plus
/// <see cref="EmbeddedPath"/>, known only once the server has started.
/// </summary>
public sealed class UpstreamEndpoint(IOptions<UpstreamOptions> options, IServiceProvider services)
{
    public const string EmbeddedPath = "/upstream";

    private Uri? baseUri;

    public bool IsEmbedded => options.Value.BaseUrl.Length == 0;

    public Uri BaseUri => baseUri ??= Resolve();

    public Uri TokenUri => options.Value.TokenUrl.Length > 0 ? new Uri(options.Value.TokenUrl) : new Uri(BaseUri, "oauth2/token");

    public Uri SubmitUri => new(BaseUri, "v3/devices/status");

    public Uri StatusUri(string requestUuid) => new(BaseUri, "v3/devices/status/" + Uri.EscapeDataString(requestUuid));

    private Uri Resolve()
    {
        if (!IsEmbedded)
        {
            return WithTrailingSlash(options.Value.BaseUrl);
        }

        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
        var address = addresses?.OrderBy(a => a.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? 1 : 0).FirstOrDefault()
            ?? throw new InvalidOperationException(
                "Upstream:BaseUrl is empty, so the portal talks to its embedded simulator, but the server has no listening address (yet).");

        // A wildcard binding is reachable on loopback.
        var uri = new UriBuilder(address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal));
        uri.Path = EmbeddedPath;
        return WithTrailingSlash(uri.Uri.ToString());
    }

    private static Uri WithTrailingSlash(string url) => new(url.EndsWith('/') ? url : url + "/");
}
