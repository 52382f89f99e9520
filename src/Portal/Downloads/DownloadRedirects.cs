using Microsoft.Extensions.Options;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Downloads;

/// <summary>
/// Where <see cref="DownloadMode.Redirect"/> may send a browser: <c>https</c> on <c>Downloads:AllowedHosts</c> (the
/// upstream's hosts when empty). Plain <c>http</c> only in Development and only to loopback, where the simulator
/// runs: a pre-signed URL is a credential and must not cross a network in clear or reach a host nobody chose.
/// </summary>
public sealed class DownloadRedirects(IOptions<DownloadOptions> options, UpstreamEndpoint upstream, IHostEnvironment environment)
{
    /// <summary>Null when the browser may be sent to <paramref name="url"/>, else why not.</summary>
    public string? Refusal(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var plainHttpAllowed = environment.IsDevelopment() && url.IsLoopback;
        if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && plainHttpAllowed))
        {
            return $"the address uses {url.Scheme}, not https";
        }
        var hosts = options.Value.AllowedHosts.Count > 0 ? options.Value.AllowedHosts : [.. upstream.AllowedHosts()];
        return OutboundGuardHandler.IsAllowed(url, hosts) ? null : "the host is not in Downloads:AllowedHosts";
    }
}
