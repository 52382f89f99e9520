using System.Net;
using System.Net.Sockets;

namespace Portal.IntegrationTests.Destinations;

/// <summary>
/// A loopback port in front of a real engine that a test can close and open: closed, it refuses every connection
/// (the engine is down) and cuts the open ones; open, it passes bytes both ways. <see cref="CutAfterUploadBytes"/>
/// cuts the connections once that many bytes went towards the engine (the host stops in the middle of an upload);
/// <see cref="HoldAfterUploadBytes"/> holds them there until <see cref="Release"/> (an upload under way, for as long as a test needs).
/// </summary>
public sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint engine;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<TcpClient> open = [];
    private long uploaded;
    private TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TcpGate(IPEndPoint engine)
    {
        this.engine = engine;
        listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public bool IsOpen { get; private set; } = true;

    /// <summary>Bytes passed towards the engine since the gate was made.</summary>
    public long Uploaded => Interlocked.Read(ref uploaded);

    /// <summary>When set, the gate closes once <see cref="Uploaded"/> passes it.</summary>
    public long? CutAfterUploadBytes { get; set; }

    /// <summary>When set, bytes towards the engine past it wait for <see cref="Release"/>.</summary>
    public long? HoldAfterUploadBytes { get; set; }

    /// <summary>Whether an upload waits at <see cref="HoldAfterUploadBytes"/>.</summary>
    public bool Holding { get; private set; }

    /// <summary>Lets held bytes through and holds no more.</summary>
    public void Release()
    {
        HoldAfterUploadBytes = null;
        released.TrySetResult();
    }

    public static TcpGate For(string host, int port) => new(new IPEndPoint(IPAddress.Parse(host == "localhost" ? "127.0.0.1" : host), port));

    public void Close()
    {
        IsOpen = false;
        lock (open)
        {
            foreach (var client in open)
            {
                client.Dispose();
            }
            open.Clear();
        }
    }

    public void Open()
    {
        CutAfterUploadBytes = null;
        IsOpen = true;
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (!IsOpen)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }
            _ = PassAsync(client);
        }
    }

    private async Task PassAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(engine, stopping.Token);
            lock (open)
            {
                open.Add(client);
                open.Add(server);
            }
            var up = CopyAsync(client.GetStream(), server.GetStream(), counted: true);
            var down = CopyAsync(server.GetStream(), client.GetStream(), counted: false);
            await Task.WhenAny(up, down);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task CopyAsync(NetworkStream from, NetworkStream to, bool counted)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stopping.Token)) > 0)
            {
                var total = counted ? Interlocked.Add(ref uploaded, read) : 0;
                if (counted && total > CutAfterUploadBytes)
                {
                    Close();
                    return;
                }
                if (counted && total > HoldAfterUploadBytes)
                {
                    Holding = true;
                    await released.Task.WaitAsync(stopping.Token);
                }
                await to.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        Close();
        stopping.Dispose();
    }
}
