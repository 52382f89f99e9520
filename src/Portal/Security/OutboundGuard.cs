using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>
/// Where a named HttpClient may go and how much it may bring back, section <c>Security:Outbound:{client name}</c>.
/// </summary>
public sealed class OutboundGuardOptions
{
    public const string SectionPrefix = "Security:Outbound";

    /// <summary>
    /// Hosts the client may call: <c>host</c>, <c>host:port</c>, an absolute URL (its authority counts), or
    /// <c>*.example.com</c> for any subdomain. Plain http is allowed to loopback hosts only.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>Cap on one exchange, from sending the request to the last byte of the response body.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap on a response body; a longer one fails while it is read.</summary>
    [Range(1, long.MaxValue)]
    public long MaxResponseBytes { get; set; } = 16 * 1024 * 1024;
}

/// <summary>
/// Which IP addresses lie on the public internet. Everything else (loopback, private, link-local, shared, metadata,
/// benchmark, documentation, multicast and broadcast space, in any spelling) is internal, and a portal that calls
/// addresses its users give (webhooks) must not reach it.
/// </summary>
public static class NetworkAddresses
{
    /// <summary>
    /// True only for a globally routable unicast address. IPv6 forms that carry an IPv4 address (IPv4-mapped
    /// <c>::ffff:0:0/96</c>, SIIT <c>::ffff:0:0:0/96</c>, NAT64 <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>) are judged by
    /// the IPv4 address inside; forms that hide it or reach a local network by design (IPv4-compatible <c>::/96</c>,
    /// local-use NAT64 <c>64:ff9b:1::/48</c>, Teredo and the other protocol blocks of <c>2001::/23</c>, documentation)
    /// are refused whole, as is everything outside global unicast <c>2000::/3</c>.
    /// </summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsPublicV4(address.GetAddressBytes());
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        if (IsZero(b, 0, 10) && b[10] == 0xFF && b[11] == 0xFF)
        {
            return IsPublicV4(b.AsSpan(12, 4));
        }
        if (IsZero(b, 0, 8) && b[8] == 0xFF && b[9] == 0xFF && b[10] == 0 && b[11] == 0)
        {
            return IsPublicV4(b.AsSpan(12, 4));
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B)
        {
            // 64:ff9b::/96 is the well-known NAT64 prefix; the rest of 64:ff9b::/32 (64:ff9b:1::/48 included) is local use.
            return IsZero(b, 4, 8) && IsPublicV4(b.AsSpan(12, 4));
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicV4(b.AsSpan(2, 4));
        }
        if ((b[0] & 0xE0) != 0x20)
        {
            // Outside 2000::/3: ::, ::1, ::/96, 100::/64, fc00::/7, fe80::/10, fec0::/10, ff00::/8 and the unassigned rest.
            return false;
        }
        return !(b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)         // 2001::/23 protocol assignments, Teredo 2001::/32 among them
            && !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) // 2001:db8::/32 documentation
            && !(b[0] == 0x3F && b[1] == 0xFF && b[2] < 0x10);         // 3fff::/20 documentation
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => false,                                     // "this network", private, loopback
        100 => b[1] is < 64 or >= 128,                               // 100.64.0.0/10 shared (carrier-grade NAT)
        169 => b[1] != 254,                                          // link-local, the cloud metadata address among them
        172 => b[1] is < 16 or >= 32,                                // private
        192 => !(b[1] == 168                                         // private
            || (b[1] == 0 && b[2] is 0 or 2)                         // IETF protocol assignments, documentation
            || (b[1] == 88 && b[2] == 99)),                          // 6to4 relay anycast
        198 => b[1] is not (18 or 19) && !(b[1] == 51 && b[2] == 100), // benchmarking 198.18.0.0/15, documentation
        203 => !(b[1] == 0 && b[2] == 113),                          // documentation
        >= 224 => false,                                             // multicast, reserved, broadcast
        _ => true,
    };

    private static bool IsZero(byte[] bytes, int from, int to)
    {
        for (var i = from; i < to; i++)
        {
            if (bytes[i] != 0)
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Thrown when an outbound request is refused before it leaves the portal, or a response breaks a cap.</summary>
public sealed class OutboundRequestRefusedException(string message) : HttpRequestException(message);

public static class OutboundGuardExtensions
{
    /// <summary>
    /// Confines the client to its configured hosts (<see cref="OutboundGuardOptions"/>, bound from
    /// <c>Security:Outbound:{name}</c>, plus what <paramref name="configure"/> adds), follows no redirects, caps time
    /// and response size, and replaces the default request logging (which writes full URLs, and pre-signed URLs are
    /// credentials) with one that logs scheme, host and path only. Add it before a resilience handler, so a refused
    /// host fails once instead of being retried and the time cap spans every attempt.
    /// </summary>
    public static IHttpClientBuilder AddOutboundGuard(
        this IHttpClientBuilder builder,
        Action<OutboundGuardOptions, IServiceProvider>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var name = builder.Name;
        var options = builder.Services.AddOptions<OutboundGuardOptions>(name)
            .BindConfiguration($"{OutboundGuardOptions.SectionPrefix}:{name}")
            .ValidateDataAnnotations()
            .Validate(o => o.AllowedHosts.Count > 0, $"{OutboundGuardOptions.SectionPrefix}:{name}:AllowedHosts must name at least one host.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure<IServiceProvider>(configure);
        }

        builder.RemoveAllLoggers();
        builder.ConfigurePrimaryHttpMessageHandler((handler, _) =>
        {
            switch (handler)
            {
                case SocketsHttpHandler sockets:
                    sockets.AllowAutoRedirect = false;
                    sockets.ConnectTimeout = TimeSpan.FromSeconds(10);
                    break;
                case HttpClientHandler client:
                    client.AllowAutoRedirect = false;
                    break;
            }
        });
        builder.AddHttpMessageHandler(services => new OutboundGuardHandler(
            name,
            services.GetRequiredService<IOptionsMonitor<OutboundGuardOptions>>(),
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger($"Portal.Outbound.{name}")));
        // The handler enforces the cap on the whole exchange; HttpClient's own timeout must not cut in first.
        builder.ConfigureHttpClient((services, client) =>
            client.Timeout = services.GetRequiredService<IOptionsMonitor<OutboundGuardOptions>>().Get(name).Timeout + TimeSpan.FromSeconds(5));
        return builder;
    }
}

/// <summary>Refuses hosts outside the allow-list and caps the time and size of every exchange.</summary>
// One file on purpose: the guard's options, its registration, the handler and the capped body it wraps responses in are read together; the handler itself is about 220 lines.
public sealed partial class OutboundGuardHandler(
    string clientName,
    IOptionsMonitor<OutboundGuardOptions> options,
    TimeProvider timeProvider,
    ILogger logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Get(clientName);
        var uri = request.RequestUri ?? throw new OutboundRequestRefusedException("An outbound request needs an absolute URI.");
        if (!uri.IsAbsoluteUri)
        {
            throw new OutboundRequestRefusedException("An outbound request needs an absolute URI.");
        }
        if (!IsAllowed(uri, settings.AllowedHosts))
        {
            LogRefused(logger, clientName, uri.Scheme, uri.Authority);
            throw new OutboundRequestRefusedException($"The portal does not call {uri.Scheme}://{uri.Authority} from '{clientName}': it is not an allowed host.");
        }

        var deadline = timeProvider.GetUtcNow() + settings.Timeout;
        using var timeout = new CancellationTokenSource(settings.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{clientName}' got no answer from {uri.Authority} within {settings.Timeout}.");
        }
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogExchange(logger, clientName, request.Method, uri.Scheme, uri.Authority, uri.AbsolutePath, (int)response.StatusCode, elapsedMs);
        }

        if (response.Content.Headers.ContentLength > settings.MaxResponseBytes)
        {
            response.Dispose();
            throw new OutboundRequestRefusedException(
                $"'{clientName}' refused a response of {uri.Authority} larger than {settings.MaxResponseBytes} bytes.");
        }
        response.Content = new CappedContent(response.Content, settings.MaxResponseBytes, deadline, timeProvider, clientName);
        return response;
    }

    /// <summary>True when <paramref name="uri"/> is on the allow-list, over https unless the host is loopback.</summary>
    public static bool IsAllowed(Uri uri, IEnumerable<string> allowedHosts)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(allowedHosts);
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
        {
            return false;
        }
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return false;
        }
        var host = uri.IdnHost;
        foreach (var entry in allowedHosts)
        {
            if (string.IsNullOrWhiteSpace(entry))
            {
                continue;
            }
            var (allowedHost, allowedPort) = ParseEntry(entry.Trim());
            if (allowedPort is not null && allowedPort != uri.Port)
            {
                continue;
            }
            if (allowedHost.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(allowedHost[1..], StringComparison.OrdinalIgnoreCase) && host.Length > allowedHost.Length - 1
                : string.Equals(host, allowedHost, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static (string Host, int? Port) ParseEntry(string entry)
    {
        if (entry.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(entry, UriKind.Absolute, out var url))
        {
            return (url.IdnHost, url.Port);
        }
        var colon = entry.LastIndexOf(':');
        if (colon > 0 && int.TryParse(entry.AsSpan(colon + 1), out var port) && !entry.EndsWith(']'))
        {
            return (entry[..colon], port);
        }
        return (entry, null);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Client} {Method} {Scheme}://{Authority}{Path} answered {StatusCode} in {ElapsedMs:0} ms")]
    private static partial void LogExchange(ILogger logger, string client, HttpMethod method, string scheme, string authority, string path, int statusCode, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Client} refused a request to {Scheme}://{Authority}: not an allowed host")]
    private static partial void LogRefused(ILogger logger, string client, string scheme, string authority);

    /// <summary>The original body, failing once it passes the size cap or the exchange's deadline.</summary>
    private sealed class CappedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _maxBytes;
        private readonly DateTimeOffset _deadline;
        private readonly TimeProvider _timeProvider;
        private readonly string _clientName;

        public CappedContent(HttpContent inner, long maxBytes, DateTimeOffset deadline, TimeProvider timeProvider, string clientName)
        {
            _inner = inner;
            _maxBytes = maxBytes;
            _deadline = deadline;
            _timeProvider = timeProvider;
            _clientName = clientName;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new CappedStream(await _inner.ReadAsStreamAsync(), this);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new CappedStream(await _inner.ReadAsStreamAsync(cancellationToken), this);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var body = await CreateContentReadStreamAsync(cancellationToken);
            await body.CopyToAsync(stream, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? 0;
            return _inner.Headers.ContentLength is not null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }

        private sealed class CappedStream(Stream inner, CappedContent owner) : Stream
        {
            private long _read;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => _read;
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
                Count(await inner.ReadAsync(buffer, cancellationToken));

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            private int Count(int read)
            {
                _read += read;
                if (_read > owner._maxBytes)
                {
                    throw new OutboundRequestRefusedException($"'{owner._clientName}' stopped reading a response larger than {owner._maxBytes} bytes.");
                }
                if (read > 0 && owner._timeProvider.GetUtcNow() > owner._deadline)
                {
                    throw new TimeoutException($"'{owner._clientName}' stopped reading a response that took longer than allowed.");
                }
                return read;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }
                base.Dispose(disposing);
            }

            public override async ValueTask DisposeAsync()
            {
                await inner.DisposeAsync();
                await base.DisposeAsync();
            }
        }
    }
}
