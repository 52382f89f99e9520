using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// This instance's one connection to Redis, opened on first use. It keeps trying in the background when Redis is
/// down (<c>AbortOnConnectFail=false</c>): commands fail at once meanwhile (<see cref="BacklogPolicy.FailFast"/>,
/// so no page or call waits for a timeout) and each caller says what that means for it (<see cref="IsOutage"/>).
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> multiplexer;
    private readonly Lock gate = new();
    private DateTimeOffset? downSince;

    public RedisConnection(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        multiplexer = new Lazy<ConnectionMultiplexer>(() =>
        {
            var connection = ConnectionMultiplexer.Connect(Configuration.Clone());
            connection.ConnectionFailed += (_, e) => OnFailed(e);
            connection.ConnectionRestored += (sender, e) => OnRestored((IConnectionMultiplexer)sender!, e);
            if (!connection.IsConnected)
            {
                MarkDown();
            }
            return connection;
        });
    }

    public ConfigurationOptions Configuration { get; }

    /// <summary>
    /// Raised (on a thread of the connection) when the connection that carries the subscriptions is back after a
    /// failure, Redis restarted or not: what was published meanwhile was not heard.
    /// </summary>
    public event Action? SubscriptionsRestored;

    /// <summary>Since when this instance has lost its connection to Redis; null while connected.</summary>
    public DateTimeOffset? DownSince
    {
        get
        {
            lock (gate)
            {
                return downSince;
            }
        }
    }

    /// <summary>A failure of a Redis command that an outage of Redis explains: the connection is gone or the answer did not come in time.</summary>
    public static bool IsOutage(Exception exception) => exception is RedisException or TimeoutException;

    public IConnectionMultiplexer Multiplexer => multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>
    /// The connection string's settings, with the ones several instances need and the user, password and TLS of
    /// section <c>Redis</c> over it; a wrong string stops the start.
    /// </summary>
    public static ConfigurationOptions Parse(string connectionString, RedisOptions? settings = null)
    {
        try
        {
            var configuration = ConfigurationOptions.Parse(connectionString);
            configuration.AbortOnConnectFail = false;
            // While Redis is down a command fails at once instead of waiting in a queue for its timeout.
            configuration.BacklogPolicy = BacklogPolicy.FailFast;
            if (settings is null)
            {
                return configuration;
            }
            if (!string.IsNullOrEmpty(settings.User))
            {
                configuration.User = settings.User;
            }
            if (!string.IsNullOrEmpty(settings.Password))
            {
                configuration.Password = settings.Password;
            }
            if (settings.Ssl)
            {
                configuration.Ssl = true;
            }
            if (!string.IsNullOrEmpty(settings.SslHost))
            {
                configuration.SslHost = settings.SslHost;
            }
            return configuration;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{RedisOptions.ConnectionStringName} is not a valid Redis connection string (e.g. 'redis1:6379,password=...,ssl=true'): {ex.Message}", ex);
        }
    }

    /// <summary>Whether whoever can reach Redis's port must still present a password or complete a TLS handshake.</summary>
    public static bool IsSecured(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.Ssl || !string.IsNullOrEmpty(configuration.Password);
    }

    private void MarkDown()
    {
        lock (gate)
        {
            downSince ??= DateTimeOffset.UtcNow;
        }
    }

    private void OnFailed(ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive || e.ConnectionType == ConnectionType.Subscription)
        {
            MarkDown();
        }
    }

    /// <summary>Redis answered a command: the outage, if one was noted, is over.</summary>
    public void Answered()
    {
        lock (gate)
        {
            downSince = null;
        }
    }

    private void OnRestored(IConnectionMultiplexer connection, ConnectionFailedEventArgs e)
    {
        if (connection.IsConnected)
        {
            Answered();
        }
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            SubscriptionsRestored?.Invoke();
        }
    }

    public void Dispose()
    {
        if (multiplexer.IsValueCreated)
        {
            multiplexer.Value.Dispose();
        }
    }
}
