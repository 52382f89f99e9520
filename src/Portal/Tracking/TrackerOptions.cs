using System.ComponentModel.DataAnnotations;
using Portal.Upstream;

namespace Portal.Tracking;

/// <summary>The tracker and its polling policy, section <c>Tracking</c>.</summary>
public sealed class TrackerOptions
{
    public const string SectionName = "Tracking";

    /// <summary>Off for hosts that only serve pages (the database still says what is due).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The longest the tracker sleeps when nothing is due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan IdleInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 50;

    [Range(1, 64)]
    public int MaxParallelCalls { get; set; } = 4;

    /// <summary>How long a claim keeps other instances off a request; longer than any one upstream call.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A request open longer than this becomes <c>TimedOut</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan MaxOpenDuration { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// Every upstream call per minute, not only the tracker's: polls, submits, retries, token requests and the file
    /// reads of previews all take from this one budget (<see cref="IUpstreamBudget"/>), however many requests are open.
    /// With Redis it is shared by all instances. The tracker claims only as many requests as fit.
    /// </summary>
    [Range(1, 1_000_000)]
    public int PollBudgetPerMinute { get; set; } = 300;

    /// <summary>POSTs a queued request gets before it is given up as <c>Failed</c>.</summary>
    [Range(1, 1000)]
    public int MaxSubmitAttempts { get; set; } = 30;

    /// <summary>Never poll one request more often than this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The interval around the expected completion, where latency is won.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan DenseInterval { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The longest gap between two polls of an open request.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest gap before the window where similar requests completed: the estimate is trusted this far, a
    /// shift of the upstream's speed costs at most this much latency once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan MaxIntervalBeforeExpected { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Added to the latest expected completion, for the upstream's and the tracker's own timing jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CompletionSlack { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Without history, the next poll waits this fraction of the request's age (clamped).</summary>
    [Range(0.01, 10)]
    public double AgeFactor { get; set; } = 0.2;

    /// <summary>
    /// After the first failed poll of a request that may be done by now (its age is within or past the window where
    /// similar requests completed), the next poll comes this soon, after a second failure in a row twice this soon,
    /// sooner than <see cref="MinInterval"/> (never sooner than a <c>Retry-After</c>); a third failure in a row backs
    /// off (<see cref="ErrorBackoff"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ErrorRetry { get; set; } = TimeSpan.FromMilliseconds(250);

    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ErrorBackoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.010", "06:00:00")]
    public TimeSpan ErrorBackoffCap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Completed requests the estimate of preparation times learns from.</summary>
    [Range(1, 100_000)]
    public int HistorySize { get; set; } = 500;

    /// <summary>Tracker passes further apart than this make <c>/health</c> report it dead.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
