using Xunit;

namespace Portal.Testing;

/// <summary>
/// The one way a test waits for something that happens on another thread, process or server: it checks a condition
/// until it holds, and fails with what it waited for when it does not within a generous ceiling. A loaded machine
/// only makes the wait longer; it never makes a test fail that would pass on a quiet one.
/// </summary>
public static class Eventually
{
    /// <summary>The ceiling when a test names none: long enough for a loaded 2-core machine.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; <paramref name="waitingFor"/> says what it means.</summary>
    public static Task HoldsAsync(Func<bool> condition, string waitingFor, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), waitingFor, timeout);

    /// <inheritdoc cref="HoldsAsync(Func{bool}, string, TimeSpan?)"/>
    public static Task HoldsAsync(Func<Task<bool>> condition, string waitingFor, TimeSpan? timeout = null) =>
        WaitAsync(condition, () => $"Waited {Ceiling(timeout).TotalSeconds:0.#} s for {waitingFor}; it did not happen.", timeout);

    /// <summary>Waits until <paramref name="read"/> returns a value that <paramref name="accept"/> takes, and returns it.</summary>
    /// <param name="lastSeen">Describes the last value read, for the message when the wait fails.</param>
    public static async Task<T> ReturnsAsync<T>(
        Func<Task<T>> read, Func<T, bool> accept, string waitingFor, TimeSpan? timeout = null, Func<T, string>? lastSeen = null)
    {
        T value = default!;
        var haveRead = false;
        await WaitAsync(
            async () =>
            {
                value = await read();
                haveRead = true;
                return accept(value);
            },
            () => $"Waited {Ceiling(timeout).TotalSeconds:0.#} s for {waitingFor}; it did not happen."
                + (lastSeen is not null && haveRead ? $" Last seen: {lastSeen(value)}" : ""),
            timeout);
        return value;
    }

    private static TimeSpan Ceiling(TimeSpan? timeout) => timeout ?? DefaultTimeout;

    private static async Task WaitAsync(Func<Task<bool>> condition, Func<string> failure, TimeSpan? timeout)
    {
        var ceiling = Ceiling(timeout);
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (started.Elapsed > ceiling)
            {
                Assert.Fail(failure());
            }
            await Task.Delay(Step, TestContext.Current.CancellationToken);
        }
    }
}
