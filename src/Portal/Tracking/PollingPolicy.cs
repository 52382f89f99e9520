namespace Portal.Tracking;

/// <summary>Everything the policy knows when it picks the next poll of one request.</summary>
public sealed record PollContext(
    DateTimeOffset Now,
    DateTimeOffset SubmittedAt,
    PreparationEstimate? Expected,
    int ConsecutiveErrors,
    TimeSpan? RetryAfter,
    double QuotaLeft = 1,
    double Jitter = 0.5);

/// <summary>
/// When to poll next: a pure function of what is known. Sparse while the upstream cannot be done yet, dense
/// across the window where similar requests completed, slowly thinning out after it; after an error, see
/// <see cref="AfterError"/>; never sooner than <c>Retry-After</c>.
/// </summary>
public static class PollingPolicy
{
    public static DateTimeOffset NextPollAt(PollContext context, TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);

        var wait = context.ConsecutiveErrors > 0
            ? AfterError(context, options)
            : Progress(context, options);

        // With little quota left, every poll is worth more: stretch all but the error backoff.
        if (context.ConsecutiveErrors == 0 && context.QuotaLeft < 0.2)
        {
            wait = Min(wait * 2, options.MaxInterval);
        }

        if (!IsQuickRetry(context, options))
        {
            wait = Max(wait, options.MinInterval);
        }

        if (context.RetryAfter is { } retryAfter && retryAfter > wait)
        {
            wait = retryAfter;
        }
        return context.Now + wait;
    }

    /// <summary>Failures in a row of a request that may be done that are retried quickly before the backoff.</summary>
    public const int QuickRetries = 2;

    /// <summary>
    /// The wait after a failed poll. One failure is not an outage: before the request can be done (younger than the
    /// earliest similar completion) the schedule stands, as if the poll had said "in progress". Once it may be done,
    /// the poll is tried again after <see cref="TrackerOptions.ErrorRetry"/>, and after twice that on a second failure
    /// in a row, so failures cost little latency: at one poll in five failing, one request in 25 fails twice in a
    /// row. From the third failure in a row (the second before the request can be done) the wait backs off
    /// exponentially (<see cref="ErrorBackoff"/>); without an estimate every failure does.
    /// </summary>
    public static TimeSpan AfterError(PollContext context, TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (context.Expected is not { } expected)
        {
            return ErrorBackoff(context.ConsecutiveErrors, context.Jitter, options);
        }
        if (IsQuickRetry(context, options))
        {
            return options.ErrorRetry * (1 << (context.ConsecutiveErrors - 1));
        }
        if (context.ConsecutiveErrors == 1)
        {
            return Progress(context, options);
        }

        return ErrorBackoff(context.ConsecutiveErrors - (Age(context) < expected.Earliest ? 1 : QuickRetries), context.Jitter, options);
    }

    private static bool IsQuickRetry(PollContext context, TrackerOptions options) =>
        context.ConsecutiveErrors is >= 1 and <= QuickRetries && context.Expected is { } expected && Age(context) >= expected.Earliest;

    private static TimeSpan Age(PollContext context) => Max(context.Now - context.SubmittedAt, TimeSpan.Zero);

    /// <summary>Exponential from <see cref="TrackerOptions.ErrorBackoff"/>, ±20 % jitter, capped.</summary>
    public static TimeSpan ErrorBackoff(int consecutiveErrors, double jitter, TrackerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var exponent = Math.Min(Math.Max(consecutiveErrors, 1) - 1, 30);
        var raw = options.ErrorBackoff.TotalSeconds * Math.Pow(2, exponent) * (0.8 + (0.4 * Math.Clamp(jitter, 0, 1)));
        return Min(TimeSpan.FromSeconds(raw), options.ErrorBackoffCap);
    }

    private static TimeSpan Progress(PollContext context, TrackerOptions options)
    {
        var age = Age(context);
        if (context.Expected is not { } expected)
        {
            // Nothing similar seen yet: latency proportional to age.
            return Clamp(age * options.AgeFactor, options.MinInterval, options.MaxInterval);
        }

        // The first look inside the window: at its end when it is narrow (one poll finds most done), else one dense
        // interval into it, so a completion anywhere in the window is seen within one dense interval.
        var firstLook = Min(expected.Latest + options.CompletionSlack, expected.Earliest + options.DenseInterval);
        if (age < firstLook)
        {
            return Min(firstLook - age, options.MaxIntervalBeforeExpected);
        }
        if (age < expected.Latest)
        {
            return options.DenseInterval;
        }

        // Later than anything similar: probably a slow one, thin out gently.
        var overdue = age - expected.Latest;
        return Clamp(options.DenseInterval + (overdue * 0.25), options.DenseInterval, options.MaxInterval);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => Max(min, Min(value, max));
}
