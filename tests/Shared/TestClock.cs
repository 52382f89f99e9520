using Microsoft.Extensions.Time.Testing;

namespace Portal.Testing;

/// <summary>
/// The one fake clock of the tests: <see cref="FakeTimeProvider"/> starting at the same instant on every run, so a
/// failure reproduces and calendar edges are met on purpose, not by the day the test ran.
/// </summary>
public static class TestClock
{
    /// <summary>A Tuesday mid-morning in UTC, away from any midnight, month end or daylight saving change.</summary>
    public static DateTimeOffset Start { get; } = new(2026, 3, 10, 9, 30, 0, TimeSpan.Zero);

    /// <summary>A fake clock at <see cref="Start"/>, or at <paramref name="start"/> when a test needs a calendar edge.</summary>
    public static FakeTimeProvider New(DateTimeOffset? start = null) => new(start ?? Start);
}
