using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Portal.Benchmarks;

/// <summary>
/// The portal instances' log lines of the faults benchmark, in one file with the time and the instance's name: what
/// the portal said during each outage is kept to read, and the console keeps the benchmark's own lines.
/// </summary>
internal sealed class FaultsLog(string path) : IAsyncDisposable
{
    private readonly StreamWriter writer = new(path, append: false) { AutoFlush = true };
    private readonly Lock gate = new();

    public ILoggerProvider For(string instance) => new Provider(this, instance);

    private void Write(string instance, LogLevel level, string category, string message, Exception? exception)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {instance} {level} {category}: {message}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
        lock (gate)
        {
            writer.WriteLine(line);
        }
    }

    public async ValueTask DisposeAsync() => await writer.DisposeAsync();

    private sealed class Provider(FaultsLog log, string instance) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, instance, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class Logger(FaultsLog log, string instance, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Write(instance, logLevel, category, formatter(state, exception), exception);
            }
        }
    }
}
