using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Api;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Components.Pages.Account;

/// <summary>Create (shown once), list and revoke personal access tokens; admins also see and revoke everyone's.</summary>
public sealed partial class AccessTokensPage
{
    private ExportUser? _user;
    private IReadOnlyList<AccessTokenInfo> _mine = [];
    private IReadOnlyList<AccessTokenInfo> _everyone = [];
    private bool _loading = true;
    private bool _busy;
    private bool _formOpen;
    private string? _name;
    private int _days = 30;
    private string? _formError;
    private string? _error;
    private AccessTokenCreation? _created;

    [Inject]
    private AccessTokens Tokens { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private UserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _user = await CurrentUser.GetAsync();
        await LoadAsync();
    }

    private void OpenForm()
    {
        _formOpen = true;
        _formError = null;
        _name = null;
        _created = null;
    }

    private async Task LoadAsync()
    {
        _loading = true;
        try
        {
            _mine = await Tokens.ListAsync(_user!);
            _everyone = _user!.IsAdmin ? await Tokens.ListAsync(_user, everyone: true) : [];
            _error = null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Loggers.CreateLogger(PageErrors.LoggerCategory).LogError(ex, "Loading access tokens failed");
            _error = "Your access tokens could not be loaded. Reload the page to try again.";
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task CreateAsync()
    {
        _busy = true;
        try
        {
            var creation = await Tokens.CreateAsync(_user!, _name, Clock.GetUtcNow().AddDays(_days));
            if (creation.Error is { } error)
            {
                _formError = error;
                return;
            }
            _created = creation;
            _formOpen = false;
            _formError = null;
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RevokeAsync(AccessTokenInfo token)
    {
        _busy = true;
        try
        {
            var revoked = await Tokens.RevokeAsync(_user!, token.Id);
            Snackbar.Add(revoked ? $"Revoked {token.Name}: scripts using it are refused from now on." : $"{token.Name} was already revoked.",
                revoked ? Severity.Success : Severity.Info);
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task CopyAsync()
    {
        if (_created?.Secret is not { } secret)
        {
            return;
        }
        try
        {
            await JS.InvokeVoidAsync("navigator.clipboard.writeText", secret);
            Snackbar.Add("Copied.", Severity.Success);
        }
        catch (JSException)
        {
            Snackbar.Add("The browser did not allow copying; select the token and copy it by hand.", Severity.Warning);
        }
    }
}
