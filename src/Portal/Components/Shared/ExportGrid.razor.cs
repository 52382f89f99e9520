using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// A page of export history, fetched from the service one page at a time with the user's sort and filters, kept
/// current by the status changes the engine publishes. Users see their own requests; <see cref="AdminMode"/> shows
/// everyone's with an owner filter.
/// </summary>
public sealed partial class ExportGrid : IDisposable
{
    private static readonly int[] PageSizes = [10, 25, 50];

    private List<ExportSummary> _items = [];
    private int _total;
    private bool _totalIsLowerBound;
    private int _page;
    private int _pageSize = 25;
    private ExportSort _sortBy = ExportSort.CreatedAt;
    private bool _descending = true;
    private string? _search;
    private ExportStatus? _status;
    private FileFormat? _format;
    private DateTime? _createdOn;
    private string? _owner;
    private bool _slow;
    private bool _loading = true;
    private bool _filtersOpen;
    private string? _error;
    private ExportUser? _user;
    private IDisposable? _subscription;
    private ITimer? _ticker;
    private CancellationTokenSource? _load;

    /// <summary>Every user's requests, with owner column and filter.</summary>
    [Parameter]
    public bool AdminMode { get; set; }

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    private ILogger Logger => Loggers.CreateLogger(PageErrors.LoggerCategory);

    [Inject]
    private IExportQueries Exports { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private ExportActions Actions { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private UserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    private bool HasFilters => !string.IsNullOrEmpty(_search) || _status is not null || _format is not null || _createdOn is not null
        || !string.IsNullOrEmpty(_owner) || _slow;

    private int FilterCount => new object?[] { _status, _format, _createdOn, string.IsNullOrEmpty(_owner) ? null : _owner, _slow ? true : null }.Count(f => f is not null);

    private int PageCount => Math.Max(1, (_total + _pageSize - 1) / _pageSize);

    private string CountText => _total == 0
        ? "No exports"
        : string.Create(CultureInfo.InvariantCulture,
            $"{(_page * _pageSize) + 1}–{Math.Min(_total, (_page + 1) * _pageSize)} of {Formatting.Count(_total)}{(_totalIsLowerBound ? "+" : "")}");

    protected override async Task OnInitializedAsync()
    {
        _user = await CurrentUser.GetAsync();
        _subscription = Changes.Subscribe(OnExportChangedAsync);
        _ticker = Clock.CreateTimer(_ => _ = InvokeAsync(TickAsync), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
    }

    /// <summary>The query for the grid's current page, sort and filters.</summary>
    private ExportQuery BuildQuery()
    {
        DateTimeOffset? createdFrom = null, createdTo = null;
        if (_createdOn is { } day)
        {
            createdFrom = TimeZone.ToUtc(day.Date) ?? new DateTimeOffset(day.Date, TimeSpan.Zero);
            createdTo = TimeZone.ToUtc(day.Date.AddDays(1)) ?? createdFrom.Value.AddDays(1);
        }
        return new ExportQuery
        {
            Page = _page,
            PageSize = _pageSize,
            SortBy = _sortBy,
            Descending = _descending,
            Status = _status,
            Format = _format,
            CreatedFrom = createdFrom,
            CreatedTo = createdTo,
            Search = string.IsNullOrWhiteSpace(_search) ? null : _search.Trim(),
            OwnerId = AdminMode && !string.IsNullOrWhiteSpace(_owner) ? _owner.Trim() : null,
            AllUsers = AdminMode,
            Slow = AdminMode && _slow,
        };
    }

    private async Task LoadAsync()
    {
        if (_user is null)
        {
            return;
        }
        if (_load is not null)
        {
            await _load.CancelAsync();
            _load.Dispose();
        }
        _load = new CancellationTokenSource();
        var token = _load.Token;
        _loading = true;
        _error = null;
        try
        {
            var result = await Exports.ListAsync(_user, BuildQuery(), token);
            if (token.IsCancellationRequested)
            {
                return;
            }
            // A delete can leave the last page empty: step back to the last page that has rows.
            if (result.Items.Count == 0 && result.TotalCount > 0 && _page > 0)
            {
                _page = Math.Max(0, (result.TotalCount - 1) / _pageSize);
                await LoadAsync();
                return;
            }
            _items = [.. result.Items];
            _total = result.TotalCount;
            // Past a count's cap the total is a lower bound: the pager reaches as far as was counted, and further
            // once the user pages there.
            _totalIsLowerBound = result.TotalIsLowerBound;
            _loading = false;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A newer sort, filter or page replaced this load.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _error = PageErrors.Report(Logger, ex, "The exports could not be loaded.");
            _loading = false;
        }
    }

    private Task ReloadFromFirstPageAsync()
    {
        _page = 0;
        return LoadAsync();
    }

    private Task SortByAsync(ExportSort sort)
    {
        if (_sortBy == sort)
        {
            _descending = !_descending;
        }
        else
        {
            _sortBy = sort;
            _descending = sort is ExportSort.CreatedAt or ExportSort.UpdatedAt or ExportSort.RangeFrom;
        }
        return ReloadFromFirstPageAsync();
    }

    private string? SortIcon(ExportSort sort) => _sortBy != sort
        ? Icons.Material.Filled.UnfoldMore
        : _descending ? Icons.Material.Filled.ArrowDownward : Icons.Material.Filled.ArrowUpward;

    private string AriaSort(ExportSort sort) => _sortBy != sort ? "none" : _descending ? "descending" : "ascending";

    private Task OnSearchChangedAsync(string? value)
    {
        _search = value;
        return ReloadFromFirstPageAsync();
    }

    private Task OnStatusChangedAsync(ExportStatus? value)
    {
        _status = value;
        return ReloadFromFirstPageAsync();
    }

    private Task OnFormatChangedAsync(FileFormat? value)
    {
        _format = value;
        return ReloadFromFirstPageAsync();
    }

    private Task OnCreatedOnChangedAsync(DateTime? value)
    {
        _createdOn = value;
        return ReloadFromFirstPageAsync();
    }

    private Task OnOwnerChangedAsync(string? value)
    {
        _owner = value;
        return ReloadFromFirstPageAsync();
    }

    private Task OnSlowChangedAsync(bool value)
    {
        _slow = value;
        return ReloadFromFirstPageAsync();
    }

    private Task FilterByOwnerAsync(string ownerId) => OnOwnerChangedAsync(ownerId);

    private Task ClearFiltersAsync()
    {
        _search = null;
        _status = null;
        _format = null;
        _createdOn = null;
        _owner = null;
        _slow = false;
        return ReloadFromFirstPageAsync();
    }

    private Task OnPageChangedAsync(int selected)
    {
        _page = selected - 1;
        return LoadAsync();
    }

    private Task OnPageSizeChangedAsync(int size)
    {
        _pageSize = size;
        return ReloadFromFirstPageAsync();
    }

    private async Task CancelAsync(ExportSummary export)
    {
        if (_user is not null && await Actions.CancelAsync(_user, export))
        {
            await LoadAsync();
        }
    }

    private async Task DeleteAsync(ExportSummary export)
    {
        if (_user is not null && await Actions.DeleteAsync(_user, export))
        {
            await LoadAsync();
        }
    }

    private Task RerunAsync(ExportSummary export) => _user is null ? Task.CompletedTask : Actions.RerunAsync(_user, export);

    private string RangeText(TimeRange range) => $"{TimeZone.Format(range.From)} → {TimeZone.Format(range.To)}";

    /// <summary>A single file downloads straight away; several are listed on the details page.</summary>
    private static string DownloadHref(ExportSummary export) =>
        export.FileCount == 1 ? $"exports/{export.Id}/files/0" : $"exports/{export.Id}#files";

    private bool Concerns(ExportChanged change) => AdminMode || change.OwnerId == _user?.Id;

    private async Task OnExportChangedAsync(ExportChanged change)
    {
        if (!Concerns(change))
        {
            return;
        }
        await InvokeAsync(async () =>
        {
            try
            {
                var index = _items.FindIndex(e => e.Id == change.ExportId);
                if (index >= 0)
                {
                    _items[index] = Apply(_items[index], change);
                }
                else if (change.Previous is null && _page == 0)
                {
                    // A new request (another tab, a re-run, an admin acting for the user) belongs on the first page.
                    await LoadAsync();
                }
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    private static ExportSummary Apply(ExportSummary export, ExportChanged change) => export with
    {
        Status = change.Status,
        UpdatedAt = change.At,
        CompletedAt = change.Status == ExportStatus.Completed ? change.At : export.CompletedAt,
        RowCount = change.RowCount ?? export.RowCount,
        FileCount = change.FileCount,
        LastError = change.Status is ExportStatus.Failed or ExportStatus.TimedOut ? change.Detail ?? export.LastError : export.LastError,
    };

    private Task TickAsync()
    {
        // Only open requests show a running clock; a page of finished ones does not need re-rendering.
        if (_items.Exists(e => e.Status.IsOpen()))
        {
            StateHasChanged();
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _ticker?.Dispose();
        _load?.Cancel();
        _load?.Dispose();
    }
}
