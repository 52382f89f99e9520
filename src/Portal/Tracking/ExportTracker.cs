using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>
/// Follows open export requests upstream, and is the one place that sends their POST. It runs a
/// <see cref="TrackerPass"/> after another: each claims as many due rows as it can work on now
/// (<see cref="TrackerClaims"/>), has <see cref="RequestTracker"/> call the upstream for each and write every change
/// in one transaction that only succeeds while the claim is still its own, and expires results the upstream no
/// longer keeps (<see cref="RetentionExpiry"/>). Between passes it sleeps until the next row is due or the
/// <see cref="TrackerSignal"/> wakes it. The rows are the schedule: a restart or a second instance picks up exactly
/// where they say.
/// </summary>
public sealed partial class ExportTracker(
    TrackerPass pass,
    TrackerSignal signal,
    TrackerHeartbeat heartbeat,
    UpstreamEndpoint endpoint,
    DatabaseOutage outage,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    IOptions<TrackerOptions> options,
    ILogger<ExportTracker> logger) : BackgroundService
{
    /// <summary>Tells this instance's leases apart from another's; ends with the host and process that hold them.</summary>
    public string InstanceId => pass.InstanceId;

    /// <summary>One pass: claims what is due, polls it, and says how long to wait before the next pass.</summary>
    public Task<TimeSpan> RunPassAsync(CancellationToken cancellationToken) => pass.RunAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            if (endpoint.IsEmbedded)
            {
                // The embedded upstream's address is the server's, known once it listens.
                var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
                await started.Task.WaitAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                heartbeat.Beat(time.GetUtcNow());
                TimeSpan wait;
                var mark = outage.Mark;
                try
                {
                    await pass.LoadEstimatesAsync(stoppingToken);
                    wait = await pass.RunAsync(stoppingToken);
                    outage.Succeeded("the tracker", mark);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database away is logged once for the outage, by whoever notices it first; the next pass
                    // after the idle interval finds the rows as they were.
                    if (!outage.Failed(ex, "the tracker"))
                    {
                        LogPassFailed(logger, ex);
                    }
                    wait = options.Value.IdleInterval;
                }
                await signal.WaitAsync(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await pass.ReleaseLeasesAsync();
        }
    }

    [LoggerMessage(LogLevel.Error, "Tracker pass failed; retrying after the idle interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);
}

/// <summary>When the tracker last started a pass: <c>/health</c> reads it.</summary>
public sealed class TrackerHeartbeat
{
    private long ticks;

    public DateTimeOffset? LastBeat
    {
        get
        {
            var value = Interlocked.Read(ref ticks);
            return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
        }
    }

    public void Beat(DateTimeOffset now) => Interlocked.Exchange(ref ticks, now.UtcTicks);
}
