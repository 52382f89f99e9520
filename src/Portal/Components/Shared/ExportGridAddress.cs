namespace Portal.Components.Shared;

/// <summary>
/// Keeps a grid and its address in step. The grid shows a change at once and writes it to the address; the location
/// change comes back later, maybe after the user changed more, and must not be taken for a Back to an older view.
/// </summary>
public sealed class ExportGridAddress
{
    private readonly List<ExportGridState> _written = [];
    private ExportGridState? _current;

    /// <summary>
    /// The address changed to <paramref name="state"/>: true when the grid should show it (the first address, Back,
    /// Forward, a link), false when it is one of the grid's own writes coming back.
    /// </summary>
    public bool Arrived(ExportGridState state)
    {
        var written = _written.IndexOf(state);
        if (written >= 0)
        {
            _written.RemoveRange(0, written + 1);
            return false;
        }
        _written.Clear();
        _current = state;
        return true;
    }

    /// <summary>True when <paramref name="state"/> is not what the address says yet, and is then expected back.</summary>
    public bool Write(ExportGridState state)
    {
        if (state == _current)
        {
            return false;
        }
        _current = state;
        _written.Add(state);
        return true;
    }
}
