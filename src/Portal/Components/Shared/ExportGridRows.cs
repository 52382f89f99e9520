using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// The page of exports a history grid shows, kept current by the status changes the engine publishes between loads.
/// </summary>
public sealed class ExportGridRows
{
    private readonly List<ExportSummary> _items = [];

    public IReadOnlyList<ExportSummary> Items => _items;

    public int Total { get; private set; }

    /// <summary>
    /// Past a count's cap the total is a lower bound: the pager reaches as far as was counted, and further once the
    /// user pages there.
    /// </summary>
    public bool TotalIsLowerBound { get; private set; }

    /// <summary>Only open requests show a running clock; a page of finished ones needs no re-rendering.</summary>
    public bool HasOpen => _items.Exists(e => e.Status.IsOpen());

    public void Show(PagedResult<ExportSummary> page)
    {
        _items.Clear();
        _items.AddRange(page.Items);
        Total = page.TotalCount;
        TotalIsLowerBound = page.TotalIsLowerBound;
    }

    /// <summary>Brings the changed export's row up to date; false when the export is not on this page.</summary>
    public bool Apply(ExportChanged change)
    {
        var index = _items.FindIndex(e => e.Id == change.ExportId);
        if (index < 0)
        {
            return false;
        }
        var export = _items[index];
        _items[index] = export with
        {
            Status = change.Status,
            UpdatedAt = change.At,
            CompletedAt = change.Status == ExportStatus.Completed ? change.At : export.CompletedAt,
            RowCount = change.RowCount ?? export.RowCount,
            FileCount = change.FileCount,
            LastError = change.Status is ExportStatus.Failed or ExportStatus.TimedOut ? change.Detail ?? export.LastError : export.LastError,
        };
        return true;
    }
}
