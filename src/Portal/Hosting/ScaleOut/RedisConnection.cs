using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// This instance's one connection to Redis, opened on first use. It keeps trying in the background when Redis is
/// down (<c>AbortOnConnectFail=false</c>): commands fail meanwhile and each caller says what that means for it.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> multiplexer;

    public RedisConnection(ConfigurationOptions configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Configuration = configuration;
        multiplexer = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(Configuration.Clone()));
    }

    public ConfigurationOptions Configuration { get; }

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

    public void Dispose()
    {
        if (multiplexer.IsValueCreated)
        {
            multiplexer.Value.Dispose();
        }
    }
}
