using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Notifications;
using StackExchange.Redis;

namespace Portal.Hosting.ScaleOut;

/// <summary>
/// The fan-out of several instances: each dispatched batch is published on one Redis channel, in order, and every
/// instance (this one included) hands what it hears to its own open pages (<see cref="RedisChangeListener"/>),
/// which drop repeats by version. Hub clients are sent to by one instance only, the SignalR backplane carries the
/// send to the clients of every instance: two dispatchers may push the same rows, so each change goes to the hub
/// from the dispatcher that first raises its request's version in Redis (like a page, the hub skips a version it
/// has passed).
/// </summary>
public sealed class RedisFanOut(RedisConnection redis, IOptions<RedisOptions> options, InProcessFanOut local) : IExportChangeFanOut
{
    private static readonly TimeSpan VersionMemory = TimeSpan.FromDays(1);

    public static RedisChannel Channel(RedisOptions options) => RedisChannel.Literal(options.Key("export-changes"));

    public async Task PublishAsync(IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        // Throws while Redis is unreachable: the rows stay unpublished and the dispatcher tries again.
        await redis.Subscriber.PublishAsync(Channel(options.Value), JsonSerializer.SerializeToUtf8Bytes(changes));
        await local.QueueForHubAsync(await ClaimForHubAsync(changes), cancellationToken);
    }

    /// <summary>The changes whose version this instance raised first ("GT CH": one winner per version).</summary>
    private async Task<IReadOnlyList<ExportChanged>> ClaimForHubAsync(IReadOnlyList<ExportChanged> changes)
    {
        var batch = redis.Database.CreateBatch();
        var claims = changes.Select(change =>
        {
            var key = options.Value.Key($"hub-version:{change.ExportId:N}");
            var claim = batch.SortedSetUpdateAsync(key, "v", change.Version, SortedSetWhen.GreaterThan);
            _ = batch.KeyExpireAsync(key, VersionMemory);
            return claim;
        }).ToList();
        batch.Execute();
        var won = await Task.WhenAll(claims);
        return [.. changes.Where((_, i) => won[i])];
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
