using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Destinations;
using Portal.Security;

namespace Portal.Components.Pages.Destinations;

/// <summary>The user's destinations: the list with each one's last test, the form for a new one, testing and deleting.</summary>
public sealed partial class DestinationsPage : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private readonly HashSet<Guid> _testing = [];

    /// <summary>Each test run on this page, as it answered: shown even if the list was read before it was stored.</summary>
    private readonly Dictionary<Guid, (DestinationTestResult Result, DateTimeOffset At)> _results = [];
    private List<DestinationInfo>? _destinations;
    private bool _loading = true;
    private bool _formOpen;
    private string? _error;

    /// <summary>The team filter of the list: null shows every destination the user reads.</summary>
    private string? _team;
    private ExportUser? _user;
    private IReadOnlyList<string> _userTeams = [];

    [Inject]
    private DestinationService Destinations { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
    }

    private async Task LoadAsync()
    {
        _loading = true;
        try
        {
            _user = await CurrentUser.GetAsync();
            _userTeams = _user.Teams;
            _destinations = [.. await Destinations.ListAsync(_user, _team, _disposed.Token)];
            _error = null;
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _error = PageErrors.Report(Logger, ex, "Your destinations could not be loaded.");
        }
        finally
        {
            _loading = false;
        }
    }

    /// <summary>Destinations hold credentials: an admin's right does not make another's changeable here, as in the service.</summary>
    private bool CanChange(DestinationInfo destination) => _user is not null && ResourceAccess.CanChange(_user with { IsAdmin = false }, destination);

    private async Task OnTeamFilterAsync(string? team)
    {
        _team = team;
        await LoadAsync();
    }

    private async Task OnSavedAsync(DestinationInfo destination)
    {
        _formOpen = false;
        Snackbar.Add($"{destination.Name} was saved. Test it to check that the portal can write there.", Severity.Success);
        await LoadAsync();
    }

    private async Task TestAsync(DestinationInfo destination)
    {
        _testing.Add(destination.Id);
        try
        {
            if ((await Destinations.TestAsync(await CurrentUser.GetAsync(), destination.Id, _disposed.Token)).Result is { } result)
            {
                _results[destination.Id] = (result, Clock.GetUtcNow());
            }
            else
            {
                Snackbar.Add("That destination is no longer there.", Severity.Warning);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Snackbar.Add(PageErrors.Report(Logger, ex, "The test could not be run."), Severity.Error);
        }
        finally
        {
            _testing.Remove(destination.Id);
        }
        await LoadAsync();
    }

    private async Task DeleteAsync(DestinationInfo destination)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Delete {destination.Name}?",
            "Exports and schedules no longer deliver there; deliveries still waiting for it fail. Files already written stay where they are.",
            yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true)
        {
            return;
        }
        await Destinations.DeleteAsync(await CurrentUser.GetAsync(), destination.Id, _disposed.Token);
        await LoadAsync();
    }

    /// <summary>The latest test of a destination: the one run on this page, or the one stored with it.</summary>
    private (bool Succeeded, string? Message, DateTimeOffset? At)? LastTest(DestinationInfo destination) =>
        _results.TryGetValue(destination.Id, out var run) ? (run.Result.Succeeded, run.Result.Message, run.At)
        : destination.LastTestSucceeded is { } succeeded ? (succeeded, destination.LastTestMessage, destination.LastTestedAt)
        : null;

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
