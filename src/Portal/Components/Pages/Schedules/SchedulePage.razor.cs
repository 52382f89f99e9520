using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Schedules;
using Portal.Security;

namespace Portal.Components.Pages.Schedules;

/// <summary>
/// A new schedule, or one schedule: its actions, its form (<see cref="ScheduleForm"/>), its runs (kept current as
/// their exports change, <see cref="ScheduleRuns"/>) and its history (<see cref="ScheduleHistory"/>).
/// </summary>
public sealed partial class SchedulePage : IDisposable
{
    private ScheduleDetails? _details;
    private ExportUser? _user;
    private bool _loading = true;
    private string? _loadError;
    private string? _actionError;
    private IDisposable? _subscription;

    [Parameter]
    public Guid? Id { get; set; }

    [Inject]
    private IScheduleService Schedules { get; set; } = default!;

    /// <summary>A member of the schedule's team who may not change it.</summary>
    private bool ReadOnly => _details?.Summary is { } summary && _user is not null && !ResourceAccess.CanChange(_user, summary);

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    private static List<BreadcrumbItem> Breadcrumbs => [new("Schedules", "schedules")];

    protected override void OnInitialized() => _subscription = Changes.Subscribe(OnExportChangedAsync);

    protected override async Task OnParametersSetAsync()
    {
        _user ??= await CurrentUser.GetAsync();
        _loading = Id is not null && _details?.Summary.Id != Id;
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
        try
        {
            _loadError = null;
            if (Id is not { } id)
            {
                return;
            }
            _details = await Schedules.GetAsync(_user!, id);
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _loadError = PageErrors.Report(Logger, ex, "The schedule could not be loaded.");
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task OnExportChangedAsync(ExportChanged change)
    {
        // A run's export was created or changed: the runs table follows it.
        if (_details is null || change.OwnerId != _details.Summary.OwnerId)
        {
            return;
        }
        await InvokeAsync(async () =>
        {
            try
            {
                _details = await Schedules.GetAsync(_user!, _details.Summary.Id) ?? _details;
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    private Task PauseAsync() => ActAsync(id => Schedules.PauseAsync(_user!, id));

    private Task ResumeAsync() => ActAsync(id => Schedules.ResumeAsync(_user!, id));

    private async Task ActAsync(Func<Guid, Task<ScheduleOutcome>> action)
    {
        if (Id is not { } id)
        {
            return;
        }
        try
        {
            _actionError = await action(id) switch
            {
                ScheduleOutcome.Conflict => "The schedule changed meanwhile; this page shows it as it is now.",
                ScheduleOutcome.NotFound => "This schedule no longer exists.",
                _ => null,
            };
            _details = await Schedules.GetAsync(_user!, id);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _actionError = PageErrors.Report(Logger, ex, "The schedule could not be changed.");
        }
    }

    private async Task DeleteAsync()
    {
        if (Id is not { } id)
        {
            return;
        }
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this schedule?",
            "It stops running and its history goes. The exports it created stay in the export history.", yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true)
        {
            return;
        }
        try
        {
            if (await Schedules.DeleteAsync(_user!, id) is ScheduleOutcome.Deleted)
            {
                Snackbar.Add("The schedule was deleted.", Severity.Info);
                Navigation.NavigateTo("schedules");
                return;
            }
            _actionError = "This schedule no longer exists.";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _actionError = PageErrors.Report(Logger, ex, "The schedule could not be deleted.");
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
