using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;

namespace Portal.Components.Pages.Exports;

/// <summary>
/// One request: its parameters, where it stands, its files and its timeline, kept current as it changes. It hears
/// only its own request's changes; the clock of an open request is <see cref="ExportClock"/>, which re-renders
/// itself alone each second, and a note on the timeline renders <see cref="ExportTimeline"/> alone.
/// </summary>
// One room (about 360 lines with its markup): one request's view, kept current by one subscription; its clock, its timeline and its files have their own components.
public sealed partial class ExportPage : IDisposable
{
    private static readonly ExportStatus[] Steps = [ExportStatus.Queued, ExportStatus.Submitted, ExportStatus.InProgress, ExportStatus.Completed];

    private ExportDetails? _export;
    private IReadOnlyList<DeliveryInfo> _deliveries = [];
    private ExportUser? _user;
    private bool _loading = true;
    private bool _readyHere;

    /// <summary>The export was shown, and then a change took the user's access: unshared, or no longer their team's.</summary>
    private bool _accessEnded;
    private string? _error;
    private int _loadsUnderWay;
    private ExportTimeline? _timeline;
    private IDisposable? _subscription;
    private Guid _subscribedTo;

    [Parameter]
    public Guid Id { get; set; }

    [Inject]
    private IExportQueries Exports { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private ExportActions Actions { get; set; } = default!;

    [Inject]
    private ExportDeliveries Deliveries { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    private List<BreadcrumbItem> Breadcrumbs => _user?.IsAdmin == true && _export?.Summary.OwnerId != _user.Id
        ? [new("All exports", "admin/exports")]
        : [new("My exports", "exports")];

    protected override async Task OnParametersSetAsync()
    {
        // A prerendered page is thrown away with its response: only the interactive one listens, to its own request.
        if (RendererInfo.IsInteractive && (_subscription is null || _subscribedTo != Id))
        {
            _subscription?.Dispose();
            _subscribedTo = Id;
            _subscription = Changes.SubscribeToExport(Id, OnExportChangedAsync);
        }
        _user ??= await CurrentUser.GetAsync();
        _loading = _export?.Summary.Id != Id;
        _readyHere &= !_loading;
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
        _loadsUnderWay++;
        try
        {
            _error = null;
            _export = await Exports.GetAsync(_user, Id);
            // A delivery's change is an export change: the same subscription brings each row up to date.
            _deliveries = _export is null ? [] : await Deliveries.ListAsync(_user, Id, CancellationToken.None);
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _error = PageErrors.Report(Logger, ex, "The export could not be loaded.");
        }
        finally
        {
            _loadsUnderWay--;
            _loading = false;
        }
    }

    private async Task OnExportChangedAsync(ExportChanged change)
    {
        if (change.ExportId != Id)
        {
            return;
        }
        await InvokeAsync(async () =>
        {
            try
            {
                var shown = _export;
                if (TryApply(change))
                {
                    // Only the timeline gained a line: the rest of the page stays as it is, unrendered.
                    if (_timeline is not null && shown is not null && shown.Summary.LastError == _export!.Summary.LastError && shown.Summary.RowCount == _export.Summary.RowCount)
                    {
                        _timeline.Show(_export.Timeline);
                    }
                    else
                    {
                        StateHasChanged();
                    }
                    return;
                }
                var before = _export?.Summary.Status;
                await LoadAsync();
                _accessEnded = before is not null && _export is null && _error is null && !change.Deleted;
                // Completed while the user watched: said here instead of in a snackbar (the bell leaves this page alone).
                _readyHere |= before is { } status && status != ExportStatus.Completed && _export?.Summary.Status == ExportStatus.Completed;
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    /// <summary>
    /// Applies a note on the timeline of the request as shown (its status, files and deliveries unchanged) as the
    /// change brought it: with thousands of pages open, most changes then cost no read of the request and its
    /// timeline. Anything else, or a change that arrives while the page is reading, is read again.
    /// </summary>
    private bool TryApply(ExportChanged change)
    {
        // A share or an unshare changes who may see the request, and the shares the page lists: read again.
        if (_loadsUnderWay > 0 || _error is not null || _export is not { } shown || change.Deleted || change.DeliveryId is not null
            || change.AccessChangedFor is not null || change.Team != shown.Summary.Team
            || change.Actor is not { } actor || change.Previous != change.Status || change.Status != shown.Summary.Status
            || change.FileCount != shown.Summary.FileCount)
        {
            return false;
        }
        // A note the page read already (saved between its subscription and its read) is not shown twice.
        var entry = new ExportEventInfo(change.At, change.Previous, change.Status, actor, change.Detail);
        _export = shown with
        {
            Summary = shown.Summary with { UpdatedAt = change.At, RowCount = change.RowCount, LastError = change.LastError },
            Timeline = shown.Timeline.Contains(entry) ? shown.Timeline : [.. shown.Timeline, entry],
        };
        return true;
    }

    private static int StepIndex(ExportStatus status) => Array.IndexOf(Steps, status);

    private async Task CancelAsync()
    {
        if (_user is not null && _export is not null && await Actions.CancelAsync(_user, _export.Summary))
        {
            await LoadAsync();
        }
    }

    private async Task SubmitAgainAsync()
    {
        if (_user is not null && _export is not null && await Actions.SubmitAgainAsync(_user, _export.Summary))
        {
            await LoadAsync();
        }
    }

    private Task RerunAsync() => _user is null || _export is null ? Task.CompletedTask : Actions.RerunAsync(_user, _export.Summary);

    private async Task DeleteAsync()
    {
        if (_user is not null && _export is not null && await Actions.DeleteAsync(_user, _export.Summary))
        {
            Navigation.NavigateTo("exports");
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
    }
}
