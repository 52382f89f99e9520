using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Jobs;

/// <summary>Every job the simulator knows, and the queue the workers take them from in order.</summary>
internal sealed class JobStore(ResultStorage storage, IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, ExportJob> _jobs = new();
    private readonly Channel<ExportJob> _queue = Channel.CreateUnbounded<ExportJob>(new UnboundedChannelOptions { SingleWriter = false });

    public ChannelReader<ExportJob> Queue => _queue.Reader;

    public int Count => _jobs.Count;

    public void Submit(ExportJob job)
    {
        _jobs[job.Id] = job;
        _queue.Writer.TryWrite(job);
    }

    /// <summary>A job of this client that still has its results; a purged one is removed on the way.</summary>
    public ExportJob? Find(Guid id, string? clientId = null)
    {
        if (!_jobs.TryGetValue(id, out var job) || (clientId is not null && job.ClientId != clientId))
        {
            return null;
        }

        if (IsExpired(job))
        {
            Remove(id);
            return null;
        }

        return job;
    }

    public bool Contains(Guid id) => _jobs.ContainsKey(id);

    public void Remove(Guid id)
    {
        if (_jobs.TryRemove(id, out _))
        {
            storage.Delete(id);
        }
    }

    /// <summary>Removes every job whose retention has run out; returns how many.</summary>
    public int Purge()
    {
        var purged = 0;
        foreach (var job in _jobs.Values)
        {
            if (IsExpired(job))
            {
                Remove(job.Id);
                purged++;
            }
        }

        return purged;
    }

    private bool IsExpired(ExportJob job) =>
        job.State.CompletedAt is { } completed && time.GetUtcNow() >= completed + options.CurrentValue.Retention;
}
