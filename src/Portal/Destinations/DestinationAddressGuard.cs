using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Destinations;

/// <summary>
/// Keeps destinations to the hosts admins allow (<see cref="DestinationOptions.AllowedHosts"/>) and off the portal's
/// own network: SFTP hosts and blob endpoints must resolve to public addresses. Checked when a destination is defined
/// (a field error) and again on every connection, so a name that later resolves to a private address reaches nothing.
/// <see cref="DestinationOptions.AllowPrivateNetworks"/> lifts the address check in Development.
/// </summary>
public sealed class DestinationAddressGuard(IOptions<DestinationOptions> options)
{
    public bool AllowPrivate => options.Value.AllowPrivateNetworks;

    /// <summary>Why the portal will not connect to <paramref name="host"/>, or null when it will.</summary>
    public async Task<string?> CheckAsync(string host, CancellationToken cancellationToken)
    {
        try
        {
            await ResolveAsync(host, cancellationToken);
            return null;
        }
        catch (DestinationFailure e)
        {
            return e.Message;
        }
    }

    /// <summary>The addresses to connect to; throws <see cref="DestinationFailure"/> (permanent) when the host is refused or unknown.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.Trim().TrimStart('[').TrimEnd(']');
        if (!IsAllowedName(name))
        {
            throw new DestinationFailure(
                $"The host {name} is not one the portal may deliver to; allowed: {string.Join(", ", options.Value.AllowedHosts ?? [])}.", permanent: true);
        }
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(name, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(name, cancellationToken);
        }
        catch (SocketException)
        {
            throw new DestinationFailure($"The host name {name} could not be resolved.", permanent: false);
        }
        if (addresses.Length == 0)
        {
            throw new DestinationFailure($"The host name {name} could not be resolved.", permanent: false);
        }
        if (!AllowPrivate && addresses.FirstOrDefault(a => !NetworkAddresses.IsPublic(a)) is { } refused)
        {
            throw new DestinationFailure(
                $"The host {name} is on a loopback, link-local or private address ({refused}); destinations must be on public addresses.", permanent: true);
        }
        return addresses;
    }

    /// <summary>The blob client's connect callback: resolves the endpoint's host and connects only where allowed.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, cancellationToken);
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

    private bool IsAllowedName(string host)
    {
        var allowed = options.Value.AllowedHosts?.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()).ToList() ?? [];
        return allowed.Count == 0 || allowed.Any(entry => entry.StartsWith("*.", StringComparison.Ordinal)
            ? host.Length > entry.Length - 1 && host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(host, entry, StringComparison.OrdinalIgnoreCase));
    }
}
