using System.Text.Json;
using System.Threading.Channels;
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

/// <summary>
/// Hands every batch heard on the changes channel to this instance's open pages, one batch after another. What was
/// published while this instance's subscription was down (Redis stopped, restarted or out of reach) is not heard:
/// pub/sub keeps nothing. So when the subscription is back (the connection restored, or a subscription that failed
/// at start made), the feed catches its pages and hub clients up from the event rows, once at once and once more
/// <see cref="SecondCatchUpAfter"/> later for what another instance published while the subscription was being
/// restored. Subscribers drop repeats by version.
/// </summary>
public sealed partial class RedisChangeListener(
    RedisConnection redis,
    IOptions<RedisOptions> options,
    ExportChangeFeed feed,
    ILogger<RedisChangeListener> logger) : IHostedService, IDisposable
{
    /// <summary>When the second catch-up after a restored subscription runs.</summary>
    public static readonly TimeSpan SecondCatchUpAfter = TimeSpan.FromSeconds(2);

    /// <summary>How often a subscription that failed is tried again, and a catch-up that failed.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly Channel<bool> restored = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource stopping = new();
    private ChannelMessageQueue? subscription;
    private Task watching = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await feed.StartFromLatestAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The first catch-up starts from the newest row instead.
            LogNoStartingPoint(logger, ex);
        }
        await TrySubscribeAsync();
        redis.SubscriptionsRestored += OnSubscriptionsRestored;
        watching = Task.Run(() => WatchAsync(stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.SubscriptionsRestored -= OnSubscriptionsRestored;
        await stopping.CancelAsync();
        await watching.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (subscription is not null)
        {
            try
            {
                await subscription.UnsubscribeAsync();
            }
            catch (Exception ex) when (RedisConnection.IsOutage(ex))
            {
                // Redis is gone anyway.
            }
        }
    }

    public void Dispose() => stopping.Dispose();

    private void OnSubscriptionsRestored() => restored.Writer.TryWrite(true);

    private async Task<bool> TrySubscribeAsync()
    {
        var channel = RedisFanOut.Channel(options.Value);
        try
        {
            var queue = await redis.Subscriber.SubscribeAsync(channel);
            // Sequential: the order of publication is the order of delivery.
            queue.OnMessage(message => Deliver(message.Message));
            subscription = queue;
            return true;
        }
        catch (Exception ex) when (RedisConnection.IsOutage(ex))
        {
            LogSubscribeFailed(logger, ex);
            try
            {
                // Nothing half-registered stays behind to be restored next to the next attempt's.
                await redis.Subscriber.UnsubscribeAsync(channel);
            }
            catch (Exception again) when (RedisConnection.IsOutage(again))
            {
            }
            return false;
        }
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        var catchUpPending = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
                {
                    wait.CancelAfter(RetryInterval);
                    try
                    {
                        await restored.Reader.WaitToReadAsync(wait.Token);
                        catchUpPending |= restored.Reader.TryRead(out _);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
                if (subscription is null && await TrySubscribeAsync())
                {
                    catchUpPending = true;
                }
                if (!catchUpPending || subscription is null)
                {
                    continue;
                }
                await feed.CatchUpAsync(stoppingToken);
                await Task.Delay(SecondCatchUpAfter, stoppingToken);
                await feed.CatchUpAsync(stoppingToken);
                catchUpPending = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database may be down too: tried again after the retry interval.
                LogCatchUpFailed(logger, RetryInterval, ex);
            }
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

    [LoggerMessage(LogLevel.Warning, "Subscribing to export changes in Redis failed; tried again every few seconds, and open pages on this instance catch up from the event rows once it works")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "The newest event row could not be read at start; the first catch-up after a Redis outage starts from the newest row then")]
    private static partial void LogNoStartingPoint(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Catching open pages up from the event rows after the Redis subscription came back failed; trying again in {RetryInterval}")]
    private static partial void LogCatchUpFailed(ILogger logger, TimeSpan retryInterval, Exception ex);

    [LoggerMessage(LogLevel.Error, "A batch of export changes heard from Redis could not be read")]
    private static partial void LogUnreadable(ILogger logger, Exception ex);
}
