using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Jobs;

/// <summary>Deletes results whose retention has run out (status and downloads already answer 404 by then).</summary>
internal sealed partial class ResultPurger(
    JobStore jobs, IOptionsMonitor<SimulatorOptions> options, TimeProvider time, ILogger<ResultPurger> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (jobs.Purge() is > 0 and var purged)
                {
                    LogPurged(logger, purged);
                }
            }
            catch (IOException exception)
            {
                logger.LogWarning(exception, "Purging results failed; retrying on the next pass");
            }

            try
            {
                await Task.Delay(options.CurrentValue.PurgeInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Purged {Count} expired results")]
    private static partial void LogPurged(ILogger logger, int count);
}
