using DeviceApi.Simulator.Data;
using DeviceApi.Simulator.Formats;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Jobs;

/// <summary>
/// A bounded pool of workers that take jobs from the queue in order and prepare their files; jobs beyond the
/// pool's size wait in <c>Submitted</c>.
/// </summary>
internal sealed partial class JobWorkers(
    JobStore jobs,
    ResultStorage storage,
    IOptionsMonitor<SimulatorOptions> options,
    TimeProvider time,
    ILogger<JobWorkers> logger) : BackgroundService
{
    private DeviceStatusGenerator? _generator;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        _generator = new DeviceStatusGenerator(settings.DeviceCount, settings.Seed);
        return Task.WhenAll(Enumerable.Range(0, settings.Workers).Select(_ => Task.Run(() => WorkAsync(stoppingToken), stoppingToken)));
    }

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in jobs.Queue.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await PrepareAsync(job, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // The API has no failure status: the job stays In Progress, as a stuck upstream job would.
                    Log.PreparationFailed(logger, exception, job.Id);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PrepareAsync(ExportJob job, CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        await DelayUntilAsync(job.SubmittedAt + settings.QueueDelay, stoppingToken);
        if (!jobs.Contains(job.Id))
        {
            return;
        }

        var started = time.GetUtcNow();
        job.State = new JobState(JobStatus.InProgress, started);
        switch (job.Fate)
        {
            case JobFate.NeverCompletes:
                return;
            case JobFate.IsLost:
                await DelayUntilAsync(started + settings.MinimumPreparationTime, stoppingToken);
                jobs.Remove(job.Id);
                return;
        }

        var rows = _generator!.Rows(job.From, job.To);
        var files = await ResultFiles.WriteAsync(
            rows,
            job.Format,
            storage.JobFolder(job.Id),
            settings.PartSize,
            (written, cancellationToken) => PaceAsync(started, written, settings.RowsPerSecond, cancellationToken),
            stoppingToken);
        await DelayUntilAsync(started + settings.MinimumPreparationTime, stoppingToken);
        if (!jobs.Contains(job.Id))
        {
            return;
        }

        var completed = time.GetUtcNow();
        job.State = new JobState(JobStatus.Completed, completed, completed, rows.Count, files);
        Log.Completed(logger, job.Id, rows.Count, files.Count);
    }

    private ValueTask PaceAsync(DateTimeOffset started, long written, int rowsPerSecond, CancellationToken cancellationToken) =>
        rowsPerSecond <= 0
            ? ValueTask.CompletedTask
            : new ValueTask(DelayUntilAsync(started + TimeSpan.FromSeconds((double)written / rowsPerSecond), cancellationToken));

    private Task DelayUntilAsync(DateTimeOffset moment, CancellationToken cancellationToken)
    {
        var wait = moment - time.GetUtcNow();
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "Request {RequestUuid} completed: {RowCount} rows in {PartCount} files")]
        public static partial void Completed(ILogger logger, Guid requestUuid, long rowCount, int partCount);

        [LoggerMessage(LogLevel.Error, "Preparing request {RequestUuid} failed")]
        public static partial void PreparationFailed(ILogger logger, Exception exception, Guid requestUuid);
    }
}
