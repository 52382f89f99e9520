
namespace Portal.Upstream;

/// <summary>
/// Whether users should be told that the device data platform is struggling, pushed live: subscribers hear of every
/// flip, the moment a recorded call flips it. Subscribe returns <see cref="IDisposable"/>; components re-render with
/// <c>InvokeAsync</c>. While struggling it also looks again now and then, for conditions that end with time alone.
/// </summary>
public sealed partial class PlatformHealth : IDisposable
{
    /// <summary>Failed calls in a row (no good answer between them) that make the platform struggling.</summary>
    public const int FailuresInARow = 3;

    /// <summary>How long a 429 without a good answer since counts as the platform rate-limiting the portal.</summary>
    public static readonly TimeSpan RateLimitMemory = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(2);

    private readonly UpstreamMonitor monitor;
    private readonly TimeProvider time;
    private readonly ILogger<PlatformHealth> logger;
    private readonly Lock gate = new();
    private readonly SemaphoreSlim evaluating = new(1, 1);
    private readonly ITimer timer;
    private Func<bool, Task>[] handlers = [];
    private bool struggling;

    public PlatformHealth(UpstreamMonitor monitor, TimeProvider time, ILogger<PlatformHealth> logger)
    {
        this.monitor = monitor;
        this.time = time;
        this.logger = logger;
        timer = time.CreateTimer(_ => Evaluate(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        monitor.Recorded += Evaluate;
        Evaluate();
    }

    public bool IsStrugglingNow
    {
        get
        {
            lock (gate)
            {
                return struggling;
            }
        }
    }

    /// <summary>
    /// The decision, over what the monitor knows: several failed calls in a row, or a 429 with no good answer since
    /// (and not long ago). A good answer ends both, so the banner goes away by itself.
    /// </summary>
    public static bool IsStruggling(UpstreamHealth health, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(health);
        return health.ConsecutiveFailures >= FailuresInARow
            || health.PausedUntil > now
            || (health.LastRateLimitedAt is { } limited && now - limited <= RateLimitMemory && !(health.LastSuccessAt > limited));
    }

    /// <summary>Calls <paramref name="handler"/> with the new state on every flip until the subscription is disposed.</summary>
    public IDisposable Subscribe(Func<bool, Task> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (gate)
        {
            handlers = [.. handlers, handler];
        }
        return new Subscription(this, handler);
    }

    // Not awaited: a recorded upstream call must not wait for the shared pause to be read (in-memory, it is at once).
    private void Evaluate() => _ = EvaluateAsync();

    private async Task EvaluateAsync()
    {
        // One look at a time: of two calls recorded at once, the later look decides.
        await evaluating.WaitAsync();
        try
        {
            var now = IsStruggling(await monitor.SnapshotAsync(), time.GetUtcNow());
            Func<bool, Task>[] notify;
            lock (gate)
            {
                if (now == struggling)
                {
                    return;
                }
                struggling = now;
                timer.Change(now ? Recheck : Timeout.InfiniteTimeSpan, now ? Recheck : Timeout.InfiniteTimeSpan);
                notify = handlers;
            }
            LogFlipped(logger, now);
            foreach (var handler in notify)
            {
                _ = NotifyAsync(handler, now);
            }
        }
        catch (Exception ex)
        {
            LogEvaluationFailed(logger, ex);
        }
        finally
        {
            evaluating.Release();
        }
    }

    // Not awaited by the caller: a recorded upstream call must not wait for pages to render.
    private async Task NotifyAsync(Func<bool, Task> handler, bool state)
    {
        try
        {
            await handler(state);
        }
        catch (Exception ex)
        {
            LogSubscriberFailed(logger, ex);
        }
    }

    private void Unsubscribe(Func<bool, Task> handler)
    {
        lock (gate)
        {
            handlers = [.. handlers.Where(h => h != handler)];
        }
    }

    public void Dispose()
    {
        monitor.Recorded -= Evaluate;
        timer.Dispose();
    }

    private sealed class Subscription(PlatformHealth owner, Func<bool, Task> handler) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                owner.Unsubscribe(handler);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "The device data platform is struggling: {Struggling}")]
    private static partial void LogFlipped(ILogger logger, bool struggling);

    [LoggerMessage(LogLevel.Warning, "Looking at the platform's health failed; the next recorded call looks again")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception ex);

    [LoggerMessage(LogLevel.Warning, "A subscriber failed to handle a change of the platform's health")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception ex);
}
