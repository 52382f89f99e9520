using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Security;
using Portal.Webhooks;

namespace Portal.Components.Pages.Webhooks;

// One room (about 470 lines with its markup): the list, the once-shown secret and every endpoint's actions share one load and one busy flag; each endpoint's card is the seam to split along next.
public sealed partial class WebhooksPage : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _disposed = new();
    private readonly HashSet<string> _events = ["export.completed", "export.failed"];
    private string? _url;
    private string? _team;
    private string? _teamError;
    private string? _filter;
    private ExportUser? _user;
    private IReadOnlyList<string> _userTeams = [];
    private string? _urlError;
    private string? _eventsError;
    private (string Url, string Value)? _secret;
    private List<WebhookEndpointDetails>? _endpoints;
    private bool _loading = true;
    private bool _busy;
    private string? _error;
    private bool _copied;
    private Guid? _editing;
    private HashSet<string> _editEvents = [];
    private string? _editError;

    [Inject]
    private WebhookService Webhooks { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        if (await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
        _ = RefreshWhileWaitingAsync();
    }

    /// <summary>While a delivery waits, the log is read again each second, so an attempt shows up without a reload.</summary>
    private async Task RefreshWhileWaitingAsync()
    {
        using var timer = new PeriodicTimer(RefreshInterval, Clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token))
            {
                if (_endpoints?.Any(e => e.Deliveries.Any(d => d.State == WebhookDeliveryState.Pending)) == true)
                {
                    await InvokeAsync(LoadAsync);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
    }

    /// <summary>Webhooks hold secrets: an admin's right does not make another's changeable here, as in the service.</summary>
    private bool CanChange(WebhookEndpointInfo endpoint) => _user is not null && ResourceAccess.CanChange(_user with { IsAdmin = false }, endpoint);

    private async Task OnTeamFilterAsync(string? team)
    {
        _filter = team;
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        try
        {
            var user = await CurrentUser.GetAsync();
            _user = user;
            _userTeams = user.Teams;
            var list = await Webhooks.ListAsync(user, _filter, _disposed.Token);
            var details = new List<WebhookEndpointDetails>(list.Count);
            foreach (var endpoint in list)
            {
                if (await Webhooks.GetAsync(user, endpoint.Id, _disposed.Token) is { } one)
                {
                    details.Add(one);
                }
            }
            _endpoints = details;
            _error = null;
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _error = PageErrors.Report(Logger, ex, "Your webhooks could not be loaded.");
        }
        finally
        {
            _loading = false;
        }
        StateHasChanged();
    }

    private void Toggle(string type, bool on)
    {
        if (on)
        {
            _events.Add(type);
        }
        else
        {
            _events.Remove(type);
        }
    }

    private async Task RegisterAsync()
    {
        _busy = true;
        _urlError = null;
        _eventsError = null;
        _teamError = null;
        try
        {
            var outcome = await Webhooks.RegisterAsync(await CurrentUser.GetAsync(), _url, [.. _events], _team, _disposed.Token);
            switch (outcome)
            {
                case WebhookRegistration.Created created:
                    _secret = (created.Endpoint.Url, created.Secret);
                    _copied = false;
                    _url = null;
                    await LoadAsync();
                    break;
                case WebhookRegistration.Invalid invalid:
                    _urlError = invalid.Errors.TryGetValue("url", out var url) ? string.Join(" ", url) : null;
                    _eventsError = invalid.Errors.TryGetValue("events", out var events) ? string.Join(" ", events) : null;
                    _teamError = invalid.Errors.TryGetValue(WebhookService.TeamField, out var team) ? string.Join(" ", team) : null;
                    break;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SendTestAsync(WebhookEndpointInfo endpoint)
    {
        var outcome = await Webhooks.SendTestAsync(await CurrentUser.GetAsync(), endpoint.Id, _disposed.Token);
        switch (outcome)
        {
            case WebhookTestOutcome.Queued:
                Snackbar.Add("A test event is on its way.", Severity.Info);
                break;
            case WebhookTestOutcome.Disabled:
                Snackbar.Add("The endpoint is disabled: register it again once the receiver works.", Severity.Warning);
                break;
            case WebhookTestOutcome.TooSoon:
                Snackbar.Add("A test event was sent a moment ago or is still waiting: try again in a few seconds.", Severity.Warning);
                break;
            default:
                Snackbar.Add("That webhook is no longer there.", Severity.Warning);
                break;
        }
        await LoadAsync();
    }

    private async Task RotateAsync(WebhookEndpointInfo endpoint)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Rotate the signing secret?",
            "A new secret signs from now on. The current one keeps signing beside it for a while, so your receiver can switch without losing an event.",
            yesText: "Rotate", cancelText: "Keep it");
        if (confirmed != true)
        {
            return;
        }
        if ((await Webhooks.RotateSecretAsync(await CurrentUser.GetAsync(), endpoint.Id, _disposed.Token)).Secret is { } secret)
        {
            _secret = (endpoint.Url, secret);
            _copied = false;
        }
        await LoadAsync();
    }

    private async Task CopySecretAsync()
    {
        if (_secret is not { Value: var secret })
        {
            return;
        }
        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", secret);
            // Said beside the button (a status region); a snackbar as well would only crowd the screen.
            _copied = true;
        }
        catch (JSException)
        {
            Snackbar.Add("The browser did not allow copying; select the secret and copy it by hand.", Severity.Warning);
        }
    }

    private void StartEditing(WebhookEndpointInfo endpoint)
    {
        _editing = endpoint.Id;
        _editEvents = [.. endpoint.Events];
        _editError = null;
    }

    private void ToggleEdit(string type, bool on)
    {
        if (on)
        {
            _editEvents.Add(type);
        }
        else
        {
            _editEvents.Remove(type);
        }
    }

    private async Task SaveEventsAsync(WebhookEndpointInfo endpoint)
    {
        _busy = true;
        _editError = null;
        try
        {
            switch (await Webhooks.UpdateEventsAsync(await CurrentUser.GetAsync(), endpoint.Id, [.. _editEvents], null, _disposed.Token))
            {
                case WebhookUpdate.Updated:
                    _editing = null;
                    Snackbar.Add("Events saved.", Severity.Success);
                    break;
                case WebhookUpdate.Invalid invalid:
                    _editError = string.Join(" ", invalid.Errors.Values.SelectMany(e => e));
                    return;
                default:
                    _editing = null;
                    Snackbar.Add("That webhook is no longer there.", Severity.Warning);
                    break;
            }
        }
        finally
        {
            _busy = false;
        }
        await LoadAsync();
    }

    private async Task ResendAsync(WebhookEndpointInfo endpoint, WebhookLogEntry entry)
    {
        var outcome = await Webhooks.ResendAsync(await CurrentUser.GetAsync(), endpoint.Id, entry.DeliveryId, _disposed.Token);
        switch (outcome)
        {
            case WebhookResend.Queued:
                Snackbar.Add($"Queued: the {entry.EventType} event is sent again shortly, with a new webhook-id.", Severity.Info);
                break;
            case WebhookResend.Disabled:
                Snackbar.Add("The endpoint is disabled: register it again once the receiver works.", Severity.Warning);
                break;
            case WebhookResend.StillPending:
                Snackbar.Add("That delivery is still being sent; re-send it once it is delivered or given up.", Severity.Info);
                break;
            default:
                Snackbar.Add("That delivery is no longer there.", Severity.Warning);
                break;
        }
        await LoadAsync();
    }

    private async Task DeleteAsync(WebhookEndpointInfo endpoint)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Delete this webhook?",
            $"Nothing more is sent to {endpoint.Url}, and its delivery log is deleted.",
            yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true)
        {
            return;
        }
        await Webhooks.DeleteAsync(await CurrentUser.GetAsync(), endpoint.Id, _disposed.Token);
        await LoadAsync();
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
