namespace Portal.Kernel;

/// <summary>A half-open range of instants, <c>[From, To)</c>, always held in UTC.</summary>
public readonly record struct TimeRange
{
    public TimeRange(DateTimeOffset from, DateTimeOffset to)
    {
        From = from.ToUniversalTime();
        To = to.ToUniversalTime();
    }

    public DateTimeOffset From { get; }

    public DateTimeOffset To { get; }

    public TimeSpan Span => To - From;

    /// <summary>Whole minutes in the range: the upstream writes one row per device per minute.</summary>
    public long Minutes
    {
        get
        {
            var firstMinute = From.AddTicks(-(From.Ticks % TimeSpan.TicksPerMinute));
            if (firstMinute < From)
            {
                firstMinute = firstMinute.AddMinutes(1);
            }
            return firstMinute >= To ? 0 : (long)Math.Ceiling((To - firstMinute).TotalMinutes);
        }
    }
}
