using Microsoft.Extensions.Options;
using Portal.Exports;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The trackers' wake-up over Redis pub/sub: a submission on one instance wakes the tracker of every instance (its
/// own included, which is harmless). A lost message costs only the wait until the tracker's next pass.
/// </summary>
public sealed partial class RedisTrackerSignal(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    TrackerSignal signal,
    ILogger<RedisTrackerSignal> logger) : IHostedService
{
    private ChannelMessageQueue? subscription;

    public static RedisChannel Channel(RedisOptions options) => RedisChannel.Literal(options.Key("tracker:wake"));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            subscription = await redis.Subscriber.SubscribeAsync(Channel(options.Value));
            subscription.OnMessage(_ => signal.WakeHere());
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            // The tracker still passes on its own schedule; the multiplexer restores subscriptions when it reconnects.
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

    /// <summary>The relay the signal calls: publishes without waiting for Redis.</summary>
    public sealed class Relay(RedisConnection redis, IOptions<RedisOptions> options) : ITrackerSignalRelay
    {
        void ITrackerSignalRelay.Relay()
        {
            try
            {
                redis.Subscriber.Publish(Channel(options.Value), RedisValue.EmptyString, CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                // The other trackers find the work on their next pass; a submission never fails for this.
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Subscribing to the trackers' wake-up in Redis failed; this tracker wakes on its own schedule until Redis answers")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception ex);
}
