using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// This instance's one connection to Redis, opened on first use. It keeps trying in the background when Redis is
/// down (<c>AbortOnConnectFail=false</c>): commands fail meanwhile and each caller says what that means for it.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly Lazy<ConnectionMultiplexer> multiplexer;

    public RedisConnection(string connectionString)
    {
        Configuration = Parse(connectionString);
        multiplexer = new Lazy<ConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(Configuration.Clone()));
    }

    public ConfigurationOptions Configuration { get; }

    public IConnectionMultiplexer Multiplexer => multiplexer.Value;

    public IDatabase Database => Multiplexer.GetDatabase();

    public ISubscriber Subscriber => Multiplexer.GetSubscriber();

    /// <summary>The connection string's settings, with the ones several instances need; a wrong string stops the start.</summary>
    public static ConfigurationOptions Parse(string connectionString)
    {
        try
        {
            var configuration = ConfigurationOptions.Parse(connectionString);
            configuration.AbortOnConnectFail = false;
            return configuration;
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{RedisOptions.ConnectionStringName} is not a valid Redis connection string (e.g. 'redis1:6379,password=...,ssl=true'): {ex.Message}", ex);
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
