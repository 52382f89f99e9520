using Microsoft.AspNetCore.Components;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;

namespace Portal.Components.Pages.Exports;

/// <summary>The signed-in user's latest exports on the home page, kept current as their statuses change.</summary>
public sealed partial class RecentExports : IDisposable
{
    public const int Count = 5;

    private IReadOnlyList<ExportSummary>? _items;
    private string? _error;
    private ExportUser? _user;
    private IDisposable? _subscription;

    [Inject]
    private IExportQueries Exports { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _user = await CurrentUser.GetAsync();
        _subscription = _user is null ? null : Changes.SubscribeToOwner(_user.Id, OnExportChangedAsync);
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        if (_user is null)
        {
            return;
        }
        try
        {
            var page = await Exports.ListAsync(_user, new ExportQuery { PageSize = Count, SortBy = ExportSort.CreatedAt, Descending = true });
            _items = page.Items;
            _error = null;
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _error = PageErrors.Report(Logger, ex, "Your recent exports could not be loaded.");
        }
    }

    // Five rows are read again on any change of the user's requests: new, changed and deleted ones alike.
    private Task OnExportChangedAsync(ExportChanged change) => change.OwnerId != _user?.Id
        ? Task.CompletedTask
        : InvokeAsync(async () =>
        {
            try
            {
                await LoadAsync();
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });

    public void Dispose() => _subscription?.Dispose();
}
