using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;

namespace Portal.Webhooks;

/// <summary>Thrown when a receiver's address is one the portal does not call.</summary>
public sealed class WebhookAddressRefusedException(string message) : HttpRequestException(message);

/// <summary>
/// Keeps webhooks off the portal's own network: receivers are https hosts on public addresses. Checked when an
/// endpoint is registered (a clear message) and again on every connection (<see cref="ConnectAsync"/>), so a name
/// that later resolves to a private address (DNS rebinding) reaches nothing. <see cref="WebhookOptions.AllowPrivateNetworks"/>
/// lifts both in Development.
/// </summary>
public sealed class WebhookAddressGuard(IOptions<WebhookOptions> options)
{
    private bool AllowPrivate => options.Value.AllowPrivateNetworks;

    /// <summary>Why the portal will not send to <paramref name="url"/>, or null when it will.</summary>
    public async Task<string?> CheckAsync(string? url, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return "Enter the receiver's URL.";
        }
        if (url.Length > WebhookRules.MaxUrlLength)
        {
            return $"The URL is longer than {WebhookRules.MaxUrlLength} characters.";
        }
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "Enter an absolute https URL, e.g. https://hooks.example.com/portal.";
        }
        if (uri.Scheme != Uri.UriSchemeHttps && !AllowPrivate)
        {
            return "The URL must use https.";
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "The URL must not carry a user name or password; verify the signature instead.";
        }
        if (!string.IsNullOrEmpty(uri.Fragment))
        {
            return "The URL must not have a #fragment.";
        }
        if (AllowPrivate)
        {
            return null;
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"The host {uri.Host} could not be found.";
        }
        if (addresses.Length == 0)
        {
            return $"The host {uri.Host} could not be found.";
        }
        return addresses.FirstOrDefault(IsInternal) is { } refused
            ? $"The host {uri.Host} is on a loopback, link-local or private address ({refused}); webhooks go to public addresses only."
            : null;
    }

    /// <summary>The primary handler's connect callback: resolves the host and connects only to a public address.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (!AllowPrivate && addresses.FirstOrDefault(IsInternal) is { } refused)
        {
            throw new WebhookAddressRefusedException($"Refused: {host} resolves to {refused}, a loopback, link-local or private address.");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Any address that is not public (<see cref="NetworkAddresses.IsPublic"/>): loopback, private, link-local, shared, metadata, multicast, broadcast, in any spelling.</summary>
    public static bool IsInternal(IPAddress address) => !NetworkAddresses.IsPublic(address);
}
