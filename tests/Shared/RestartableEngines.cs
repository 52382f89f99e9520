using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Portal.Testing;

/// <summary>
/// A Redis server of a test's own, on a free loopback port and without persistence (as <c>tests/run.sh</c> runs the
/// shared one), that the test may stop, start and restart: an outage or a restart of the real server, with nothing kept.
/// </summary>
public sealed class RestartableRedis : IAsyncDisposable
{
    private Process? _process;

    private RestartableRedis(int port) => Port = port;

    public int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, for <c>ConnectionStrings:Redis</c>.</summary>
    public string Endpoint => $"127.0.0.1:{Port}";

    public bool IsRunning => _process is { HasExited: false };

    public static async Task<RestartableRedis> StartAsync()
    {
        var redis = new RestartableRedis(EnginePorts.Free());
        await redis.StartAgainAsync();
        return redis;
    }

    /// <summary>Starts the server on its port again (empty: nothing was persisted).</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }
        _process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("redis-server did not start: is Debian's redis-server installed? tests/run.sh installs it.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await EnginePorts.WaitUntilListeningAsync(Port, () => _process.HasExited, "redis-server");
    }

    /// <summary>Stops the server at once, as a crash or a replaced node does: its data is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }
        if (!_process.HasExited)
        {
            _process.Kill();
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>
/// A PostgreSQL 15 cluster of a test's own (Debian's <c>postgresql</c>, as <c>tests/run.sh</c> starts the shared
/// one), in a temporary folder on a free loopback port, that the test may stop, start and restart without disturbing the
/// other tests' server. Its data survives a restart, as a real server's does.
/// </summary>
public sealed class RestartablePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private const string User = "portal";
    private readonly string _folder;
    private readonly string _password = "portal-" + Guid.NewGuid().ToString("N");

    private RestartablePostgres(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public bool IsRunning { get; private set; }

    /// <summary>An Npgsql connection string of a superuser for <paramref name="database"/> on this cluster.</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={User};Password={_password};Database={database}";

    public static async Task<RestartablePostgres> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "portal-pg-" + Guid.NewGuid().ToString("N")[..12]);
        await RunAsync("install", ["-d", "-o", "postgres", "-m", "700", folder], asPostgres: false);
        var postgres = new RestartablePostgres(folder, EnginePorts.Free());
        var passwordFile = Path.Combine(folder, "pwfile");
        await RunAsync("sh", ["-c", $"echo '{postgres._password}' > '{passwordFile}'"], asPostgres: true);
        await RunAsync($"{Bin}/initdb",
            ["-D", Path.Combine(folder, "data"), "-U", User, $"--pwfile={passwordFile}", "-A", "scram-sha-256", "--no-locale", "-E", "UTF8"],
            asPostgres: true);
        await postgres.StartAgainAsync();
        return postgres;
    }

    /// <summary>Starts the cluster again on its port, with the data it had.</summary>
    public async Task StartAgainAsync()
    {
        await RunAsync($"{Bin}/pg_ctl",
        [
            "-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "postgres.log"), "-w", "-o",
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        ], asPostgres: true);
        IsRunning = true;
    }

    /// <summary>
    /// Stops the cluster: <c>fast</c> ends every session and checkpoints (a planned restart), <c>immediate</c> aborts
    /// (a crash or a failover). Connections the portal holds break either way.
    /// </summary>
    public async Task StopAsync(string mode = "fast")
    {
        if (!IsRunning)
        {
            return;
        }
        await RunAsync($"{Bin}/pg_ctl", ["-D", Path.Combine(_folder, "data"), "-m", mode, "-w", "stop"], asPostgres: true);
        IsRunning = false;
    }

    /// <summary>A fast restart, as an operator's minor-version update does.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAgainAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync("immediate");
        }
        finally
        {
            await RunAsync("rm", ["-rf", _folder], asPostgres: false);
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var root = Environment.UserName == "root";
        ProcessStartInfo start = !asPostgres
            ? new(root ? file : "sudo", root ? arguments : [file, .. arguments])
            : new(root ? "runuser" : "sudo", root ? ["-u", "postgres", "--", file, .. arguments] : ["-u", "postgres", file, .. arguments]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}

internal static class EnginePorts
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitUntilListeningAsync(int port, Func<bool> exited, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (exited())
            {
                throw new InvalidOperationException($"{name} exited before it listened on port {port}.");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }
        throw new TimeoutException($"{name} did not listen on port {port} within 30 s.");
    }
}
