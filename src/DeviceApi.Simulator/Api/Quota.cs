using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Api;

/// <summary>A fixed-window count of <c>/v3</c> calls per client id.</summary>
internal sealed class Quota(IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
{
    private readonly Dictionary<string, (DateTimeOffset WindowStart, int Calls)> _windows = [];
    private readonly Lock _lock = new();

    /// <summary>Counts one call; false with the seconds until the window ends when the quota is used up.</summary>
    public bool TryTake(string clientId, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        var faults = options.CurrentValue.Faults;
        if (faults.Quota <= 0)
        {
            return true;
        }

        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_windows.TryGetValue(clientId, out var window) || now >= window.WindowStart + faults.QuotaWindow)
            {
                window = (now, 0);
            }

            window.Calls++;
            _windows[clientId] = window;
            if (window.Calls <= faults.Quota)
            {
                return true;
            }

            retryAfterSeconds = Math.Max(1, (int)Math.Ceiling((window.WindowStart + faults.QuotaWindow - now).TotalSeconds));
            return false;
        }
    }
}
