using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// A page of export history, fetched from the service one page at a time with the user's sort and filters, kept
/// current by the status changes the engine publishes. Users see their own requests; <see cref="AdminMode"/> shows
/// everyone's with an owner filter. Search, filters, sort and page live in the address (<see cref="ExportGridState"/>):
/// a change is shown at once and written to the address, and a change of the address (Back, a link) is shown.
/// </summary>
public sealed partial class ExportGrid : IDisposable
{
    private static IReadOnlyList<int> PageSizes => ExportGridState.PageSizes;

    private List<ExportSummary> _items = [];
    private int _total;
    private bool _totalIsLowerBound;
    private int _page;
    private int _pageSize = ExportGridState.DefaultPageSize;
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
    private bool _shown;
    private readonly ExportGridAddress _address = new();

    /// <summary>Every user's requests, with owner column and filter.</summary>
    [Parameter]
    public bool AdminMode { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.SearchKey)]
    private string? QuerySearch { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.StatusKey)]
    private string? QueryStatus { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.FormatKey)]
    private string? QueryFormat { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.CreatedKey)]
    private string? QueryCreated { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.OwnerKey)]
    private string? QueryOwner { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.SlowKey)]
    private string? QuerySlow { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.SortKey)]
    private string? QuerySort { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.DirectionKey)]
    private string? QueryDirection { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.PageKey)]
    private string? QueryPage { get; set; }

    [SupplyParameterFromQuery(Name = ExportGridState.SizeKey)]
    private string? QuerySize { get; set; }

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

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

    private bool HasFilters => CurrentState.HasFilters;

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
    }

    /// <summary>The first render, and every change of the address: Back, Forward, a link, or the grid's own change.</summary>
    protected override async Task OnParametersSetAsync()
    {
        var fromAddress = ExportGridState.FromQuery(new Dictionary<string, string?>
        {
            [ExportGridState.SearchKey] = QuerySearch,
            [ExportGridState.StatusKey] = QueryStatus,
            [ExportGridState.FormatKey] = QueryFormat,
            [ExportGridState.CreatedKey] = QueryCreated,
            [ExportGridState.OwnerKey] = QueryOwner,
            [ExportGridState.SlowKey] = QuerySlow,
            [ExportGridState.SortKey] = QuerySort,
            [ExportGridState.DirectionKey] = QueryDirection,
            [ExportGridState.PageKey] = QueryPage,
            [ExportGridState.SizeKey] = QuerySize,
        }, AdminMode);
        if (!_address.Arrived(fromAddress) || (_shown && fromAddress == CurrentState))
        {
            return;
        }
        _shown = true;
        Show(fromAddress);
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
    }

    private ExportGridState CurrentState => new()
    {
        Search = string.IsNullOrWhiteSpace(_search) ? null : _search,
        Status = _status,
        Format = _format,
        CreatedOn = _createdOn is { } day ? DateOnly.FromDateTime(day) : null,
        Owner = AdminMode && !string.IsNullOrWhiteSpace(_owner) ? _owner.Trim() : null,
        Slow = AdminMode && _slow,
        SortBy = _sortBy,
        Descending = _descending,
        Page = _page,
        PageSize = _pageSize,
    };

    private void Show(ExportGridState state)
    {
        _search = state.Search;
        _status = state.Status;
        _format = state.Format;
        _createdOn = state.CreatedOn?.ToDateTime(TimeOnly.MinValue);
        _owner = state.Owner;
        _slow = state.Slow;
        _sortBy = state.SortBy;
        _descending = state.Descending;
        _page = state.Page;
        _pageSize = state.PageSize;
    }

    /// <summary>
    /// Loads the grid's new state and writes it to the address. Sort, filters and pages add a history entry, so Back
    /// returns to the previous view; refining a search replaces it, so Back is not one step per pause in typing.
    /// </summary>
    private Task ApplyAsync(bool replaceHistoryEntry = false)
    {
        WriteToAddress(replaceHistoryEntry);
        return LoadAsync();
    }

    private void WriteToAddress(bool replaceHistoryEntry)
    {
        var state = CurrentState;
        // Before the circuit is up a navigation would be a redirect of the prerendered page.
        if (!RendererInfo.IsInteractive || !_address.Write(state))
        {
            return;
        }
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(state.ToQuery()),
            new NavigationOptions { ReplaceHistoryEntry = replaceHistoryEntry });
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
                await ApplyAsync(replaceHistoryEntry: true);
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

    private Task ReloadFromFirstPageAsync(bool replaceHistoryEntry = false)
    {
        _page = 0;
        return ApplyAsync(replaceHistoryEntry);
    }

    private Task SortByAsync(ExportSort sort)
    {
        Show(CurrentState.SortedBy(sort));
        return ApplyAsync();
    }

    private string? SortIcon(ExportSort sort) => _sortBy != sort
        ? Icons.Material.Filled.UnfoldMore
        : _descending ? Icons.Material.Filled.ArrowDownward : Icons.Material.Filled.ArrowUpward;

    private string AriaSort(ExportSort sort) => _sortBy != sort ? "none" : _descending ? "descending" : "ascending";

    private Task OnSearchChangedAsync(string? value)
    {
        var refining = !string.IsNullOrWhiteSpace(_search) && !string.IsNullOrWhiteSpace(value);
        _search = value;
        return ReloadFromFirstPageAsync(replaceHistoryEntry: refining);
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
        var refining = !string.IsNullOrWhiteSpace(_owner) && !string.IsNullOrWhiteSpace(value);
        _owner = value;
        return ReloadFromFirstPageAsync(replaceHistoryEntry: refining);
    }

    private Task OnSlowChangedAsync(bool value)
    {
        _slow = value;
        return ReloadFromFirstPageAsync();
    }

    private Task FilterByOwnerAsync(string ownerId)
    {
        _owner = ownerId;
        return ReloadFromFirstPageAsync();
    }

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
        return ApplyAsync();
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

    private void Open(ExportSummary export) => Navigation.NavigateTo($"exports/{export.Id}");

    private void OnRowClick(ExportSummary export, MouseEventArgs e)
    {
        // A middle click or one with a modifier key is the browser's (a new tab from the row's link), not an open here.
        if (e.Button == 0 && !e.CtrlKey && !e.MetaKey && !e.ShiftKey && !e.AltKey)
        {
            Open(export);
        }
    }

    private void OnRowKeyDown(ExportSummary export, KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            Open(export);
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
