using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Portal.Exports;
using Portal.Security;

namespace Portal.Components.Shared;

/// <summary>
/// A page of export history, fetched from the service one page at a time with the user's sort and filters, kept
/// current by the status changes the engine publishes. Users see their own requests; <see cref="AdminMode"/> shows
/// everyone's with an owner filter. Search, filters, sort and page live in the address (<see cref="ExportGridState"/>):
/// a change is shown at once and written to the address, and a change of the address (Back, a link) is shown.
/// </summary>
public sealed partial class ExportGrid : IDisposable
{
    private readonly ExportGridRows _rows = new();
    private bool _loading = true;
    private bool _filtersOpen;
    private string? _error;
    private ExportUser? _user;
    private IReadOnlyList<IDisposable> _subscriptions = [];
    private ITimer? _ticker;
    private CancellationTokenSource? _load;
    private bool _shown;
    private readonly ExportGridAddress _address = new();
    private ExportGridView _view = default!;

    /// <summary>Every user's requests, with owner column and filter.</summary>
    [Parameter]
    public bool AdminMode { get; set; }

    // The address's values, read together by ExportGridState.FromQuery.
    [SupplyParameterFromQuery(Name = ExportGridState.SearchKey)] private string? QuerySearch { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.StatusKey)] private string? QueryStatus { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.FormatKey)] private string? QueryFormat { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.CreatedKey)] private string? QueryCreated { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.OwnerKey)] private string? QueryOwner { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.SlowKey)] private string? QuerySlow { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.TeamKey)] private string? QueryTeam { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.SharedKey)] private string? QueryShared { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.SortKey)] private string? QuerySort { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.DirectionKey)] private string? QueryDirection { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.PageKey)] private string? QueryPage { get; set; }
    [SupplyParameterFromQuery(Name = ExportGridState.SizeKey)] private string? QuerySize { get; set; }

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IExportQueries Exports { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private ExportActions Actions { get; set; } = default!;

    protected override void OnInitialized() => _view = new ExportGridView(AdminMode);

    protected override async Task OnInitializedAsync()
    {
        _user = await CurrentUser.GetAsync();
        // A user's grid hears only their own and their teams' requests' changes, and shares with them; the admin grid everyone's.
        _subscriptions = AdminMode || _user is null
            ? [Changes.Subscribe(OnExportChangedAsync)]
            : [Changes.SubscribeToOwner(_user.Id, OnExportChangedAsync), .. _user.Teams.Select(t => Changes.SubscribeToTeam(t, OnExportChangedAsync))];
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
            [ExportGridState.TeamKey] = QueryTeam,
            [ExportGridState.SharedKey] = QueryShared,
            [ExportGridState.SortKey] = QuerySort,
            [ExportGridState.DirectionKey] = QueryDirection,
            [ExportGridState.PageKey] = QueryPage,
            [ExportGridState.SizeKey] = QuerySize,
        }, AdminMode);
        if (!_address.Arrived(fromAddress) || (_shown && fromAddress == _view.State))
        {
            return;
        }
        _shown = true;
        _view.Show(fromAddress);
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
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
        var state = _view.State;
        // Before the circuit is up a navigation would be a redirect of the prerendered page.
        if (!RendererInfo.IsInteractive || !_address.Write(state))
        {
            return;
        }
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(state.ToQuery()),
            new NavigationOptions { ReplaceHistoryEntry = replaceHistoryEntry });
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
            var result = await Exports.ListAsync(_user, _view.ToQuery(TimeZone.ToUtc), token);
            if (token.IsCancellationRequested)
            {
                return;
            }
            // A delete can leave the last page empty: step back to the last page that has rows.
            if (result.Items.Count == 0 && result.TotalCount > 0 && _view.Page > 0)
            {
                _view.GoToLastPageOf(result.TotalCount);
                await ApplyAsync(replaceHistoryEntry: true);
                return;
            }
            _rows.Show(result);
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

    private Task SortByAsync(ExportSort sort)
    {
        _view.SortOn(sort);
        return ApplyAsync();
    }

    private Task OnSearchChangedAsync(string? value) => ApplyAsync(replaceHistoryEntry: _view.SearchFor(value));

    private Task OnOwnerChangedAsync(string? value) => ApplyAsync(replaceHistoryEntry: _view.FilterByOwner(value));

    private Task FilterByOwnerAsync(string ownerId)
    {
        _view.FilterByOwner(ownerId);
        return ApplyAsync();
    }

    private Task OnStatusChangedAsync(ExportStatus? value) => ChangeAsync(() => _view.FilterByStatus(value));

    private Task OnFormatChangedAsync(FileFormat? value) => ChangeAsync(() => _view.FilterByFormat(value));

    private Task OnCreatedOnChangedAsync(DateTime? value) => ChangeAsync(() => _view.FilterByCreatedOn(value));

    private Task OnSlowChangedAsync(bool value) => ChangeAsync(() => _view.FilterBySlow(value));

    private Task OnTeamChangedAsync(string? value) => ChangeAsync(() => _view.FilterByTeam(value));

    private Task OnSharedChangedAsync(bool value) => ChangeAsync(() => _view.ShowShared(value));

    private Task ClearFiltersAsync() => ChangeAsync(_view.ClearFilters);

    private Task OnPageChangedAsync(int selected) => ChangeAsync(() => _view.GoToPage(selected));

    private Task OnPageSizeChangedAsync(int size) => ChangeAsync(() => _view.ShowPageSize(size));

    private Task ChangeAsync(Action change)
    {
        change();
        return ApplyAsync();
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

    /// <summary>Cancel and delete are offered to who may do them: the requester, the team's maintainers, an admin.</summary>
    private bool CanCancel(ExportSummary export) => _user is not null && ResourceAccess.CanCancel(_user, export);

    /// <summary>Under the name: the team it belongs to, and who asked for it when that is someone else.</summary>
    private string? RowNote(ExportSummary export) => (export.Team, export.OwnerId == _user?.Id || AdminMode) switch
    {
        ({ } team, true) => team,
        ({ } team, false) => $"{team} · {export.OwnerName}",
        (null, false) => $"Shared by {export.OwnerName}",
        _ => null,
    };

    private string RangeText(TimeRange range) => $"{TimeZone.Format(range.From)} → {TimeZone.Format(range.To)}";

    /// <summary>A single file downloads straight away; several are listed on the details page.</summary>
    private static string DownloadHref(ExportSummary export) =>
        export.FileCount == 1 ? $"exports/{export.Id}/files/0" : $"exports/{export.Id}#files";

    private bool Concerns(ExportChanged change) =>
        AdminMode || change.OwnerId == _user?.Id || change.AccessChangedFor == _user?.Id || _user?.IsMemberOf(change.Team) == true;

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
                if (change.AccessChangedFor is not null && change.AccessChangedFor == _user?.Id)
                {
                    // Shared with the user or taken back: the list of what they may see changed.
                    await LoadAsync();
                }
                else if (!_rows.Apply(change) && change.Previous is null && _view.Page == 0)
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

    private Task TickAsync()
    {
        if (_rows.HasOpen)
        {
            StateHasChanged();
        }
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
        _ticker?.Dispose();
        _load?.Cancel();
        _load?.Dispose();
    }
}
