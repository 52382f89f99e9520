using System.Collections.Concurrent;

namespace DeviceApi.Simulator.Api;

/// <summary>
/// Every <c>/v3</c> call the simulator answered, with its start and end: tests count at the vendor's side how often
/// and how concurrently a client called it.
/// </summary>
public sealed class V3CallLog
{
    private readonly ConcurrentQueue<V3Call> calls = new();

    public IReadOnlyCollection<V3Call> Calls => calls;

    internal void Add(V3Call call) => calls.Enqueue(call);
}

/// <param name="RequestUuid">The job a status GET asked about; null for a POST.</param>
/// <param name="EndedAt">When the handler had its answer (before it was written out).</param>
public sealed record V3Call(string Method, string? RequestUuid, DateTimeOffset StartedAt, DateTimeOffset EndedAt);
