using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Notifications;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The fan-out of several instances: each dispatched batch is published on one Redis channel, in order, and every
/// instance (this one included) hands what it hears to its own feed (<see cref="RedisChangeListener"/>), whose
/// subscribers, its open pages and its hub connections (<see cref="ExportsHubRelay"/>), drop repeats by version.
/// </summary>
public sealed class RedisFanOut(RedisConnection redis, IOptions<RedisOptions> options) : IExportChangeFanOut
{
    public static RedisChannel Channel(RedisOptions options) => RedisChannel.Literal(options.Key("export-changes"));

    public async Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        // Throws while Redis is unreachable: the rows stay unpublished and the dispatcher tries again.
        await redis.Subscriber.PublishAsync(Channel(options.Value), JsonSerializer.SerializeToUtf8Bytes(changes));
    }
}

/// <summary>Hands every batch heard on the changes channel to this instance's open pages, one batch after another.</summary>
public sealed partial class RedisChangeListener(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    ExportChangeFeed feed,
    ILogger<RedisChangeListener> logger) : IHostedService
{
    private ChannelMessageQueue? subscription;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            subscription = await redis.Subscriber.SubscribeAsync(RedisFanOut.Channel(options.Value));
            // Sequential: the order of publication is the order of delivery.
            subscription.OnMessage(message => Deliver(message.Message));
        }
        catch (RedisException ex)
        {
            LogSubscribeFailed(logger, ex);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (subscription is not null)
        {
            await subscription.UnsubscribeAsync();
        }
    }

    private void Deliver(RedisValue message)
    {
        try
        {
            foreach (var change in JsonSerializer.Deserialize<ExportChanged[]>((byte[])message!) ?? [])
            {
                feed.Deliver(change);
            }
        }
        catch (JsonException ex)
        {
            LogUnreadable(logger, ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Subscribing to export changes in Redis failed; open pages on this instance see changes when they reload until Redis answers")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Error, "A batch of export changes heard from Redis could not be read")]
    private static partial void LogUnreadable(ILogger logger, Exception ex);
}
