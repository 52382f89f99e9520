using Microsoft.Extensions.Options;

namespace Portal.Previews;

/// <summary>
/// How many previews and zips each user has under way on this instance, so one user's burst cannot hold every file
/// host connection and a preview's memory many times over. A slot is taken or refused at once, never waited for.
/// </summary>
public sealed class PreviewConcurrency(IOptionsMonitor<PreviewOptions> options)
{
    public enum Kind
    {
        Preview,
        Zip,
    }

    private readonly Dictionary<(Kind, string), int> _running = [];

    /// <summary>A slot for <paramref name="userId"/>, released on dispose; null when the user has the most allowed under way.</summary>
    public IDisposable? TryEnter(Kind kind, string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var limit = Limit(kind);
        lock (_running)
        {
            var running = _running.GetValueOrDefault((kind, userId));
            if (running >= limit)
            {
                return null;
            }
            _running[(kind, userId)] = running + 1;
        }
        return new Slot(this, kind, userId);
    }

    public int Limit(Kind kind) => kind == Kind.Zip ? options.CurrentValue.MaxConcurrentZipsPerUser : options.CurrentValue.MaxConcurrentPerUser;

    private void Leave(Kind kind, string userId)
    {
        lock (_running)
        {
            var running = _running.GetValueOrDefault((kind, userId)) - 1;
            if (running <= 0)
            {
                _running.Remove((kind, userId));
            }
            else
            {
                _running[(kind, userId)] = running;
            }
        }
    }

    private sealed class Slot(PreviewConcurrency owner, Kind kind, string userId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Leave(kind, userId);
            }
        }
    }
}
