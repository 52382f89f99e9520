namespace Portal.Tests.Fakes;

/// <summary>A clock the test sets; timers still run on the system's.</summary>
public sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
