namespace Portal.Hosting.ScaleOut;

/// <summary>
/// Says when an outage begins and when it ends, so a caller that meets Redis down on every call logs it once, not
/// once per call, and says once that it is over.
/// </summary>
public sealed class OutageLogGate
{
    private int failing;

    /// <summary>True for the first failure after a success (or the start): the one to log.</summary>
    public bool Failed() => Interlocked.Exchange(ref failing, 1) == 0;

    /// <summary>True for the first success after a failure: the end of the outage, to log once.</summary>
    public bool Succeeded() => Volatile.Read(ref failing) == 1 && Interlocked.Exchange(ref failing, 0) == 1;
}
