using DeviceApi.Simulator.Formats;

namespace DeviceApi.Simulator.Jobs;

internal enum JobStatus
{
    Submitted,
    InProgress,
    Completed,
}

/// <summary>What a fault switch decided for a job when it was accepted.</summary>
internal enum JobFate
{
    Completes,
    NeverCompletes,
    IsLost,
}

/// <summary>A job's state at one moment; replaced whole, so readers never see half an update.</summary>
internal sealed record JobState(
    JobStatus Status,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt = null,
    long? RowCount = null,
    IReadOnlyList<ResultFile>? Files = null);

/// <summary>One accepted export request and its preparation.</summary>
internal sealed class ExportJob(
    Guid id, string clientId, DateTime from, DateTime to, FileFormat format, DateTimeOffset submittedAt, JobFate fate)
{
    private JobState _state = new(JobStatus.Submitted, submittedAt);

    public Guid Id { get; } = id;
    public string ClientId { get; } = clientId;
    public DateTime From { get; } = from;
    public DateTime To { get; } = to;
    public FileFormat Format { get; } = format;
    public DateTimeOffset SubmittedAt { get; } = submittedAt;
    public JobFate Fate { get; } = fate;

    public JobState State
    {
        get => Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, value);
    }
}
