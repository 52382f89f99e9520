using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MimeKit;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Portal.Testing;

/// <summary>
/// A real SMTP server (the SmtpServer package) on a free loopback port, keeping every message it receives. Plain SMTP:
/// the portal connects with <c>Notifications:Email:Security=None</c>.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task running;
    private readonly Store store;

    private SmtpTestServer(int port, Task running, Store store, CancellationTokenSource stop)
    {
        Port = port;
        this.running = running;
        this.store = store;
        this.stop = stop;
    }

    public int Port { get; }

    /// <summary>Every message received, in order (a message answered with an error included).</summary>
    public IReadOnlyList<MimeMessage> Messages => [.. store.Messages];

    /// <summary>Receives the next <paramref name="count"/> messages and then answers them with a transient error (451).</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref store.FailuresLeft, count);

    /// <summary>The settings that point the portal at this server.</summary>
    public Dictionary<string, string?> Settings(string portalUrl = "https://portal.example.test") => new()
    {
        ["Notifications:Email:Host"] = "127.0.0.1",
        ["Notifications:Email:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Notifications:Email:Security"] = "None",
        ["Notifications:Email:From"] = "Device Status Exports <exports@example.test>",
        ["Notifications:Email:PortalUrl"] = portalUrl,
        ["Notifications:Email:SendInterval"] = "00:00:00.100",
        ["Notifications:Email:RetryDelay"] = "00:00:00.100",
    };

    public static async Task<SmtpTestServer> StartAsync()
    {
        var options = new SmtpServerOptionsBuilder()
            .ServerName("localhost")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, 0)))
            .Build();
        var store = new Store();
        var listeners = new EndpointListenerFactory();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);
        var services = new ServiceProvider();
        services.Add(store);
        services.Add(listeners);
        var server = new SmtpServer.SmtpServer(options, services);
        var stop = new CancellationTokenSource();
        var running = server.StartAsync(stop.Token);
        var port = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return new SmtpTestServer(port, running, store, stop);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages arrived; fails after the deadline.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        await Eventually.ReturnsAsync(
            () => Task.FromResult(store.Messages.Count), arrived => arrived >= count, $"{count} messages to arrive", timeout, arrived => $"{arrived} arrived");
        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (OperationCanceledException)
        {
        }
        stop.Dispose();
    }

    private sealed class Store : MessageStore
    {
        public readonly ConcurrentQueue<MimeMessage> Messages = new();
        public int FailuresLeft;

        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            using var stream = new MemoryStream(buffer.ToArray());
            Messages.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return Interlocked.Decrement(ref FailuresLeft) >= 0
                ? new SmtpResponse(SmtpReplyCode.Aborted, "try again later")
                : SmtpResponse.Ok;
        }
    }
}
