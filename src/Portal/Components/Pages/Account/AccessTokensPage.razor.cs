using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;
using MudBlazor;
using Portal.Api;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Components.Pages.Account;

/// <summary>Create (shown once), list and revoke personal access tokens; admins also see and revoke everyone's, one or all of a user's.</summary>
// One room (about 310 lines with its markup): the create form and the list share the once-shown token and one reload.
public sealed partial class AccessTokensPage
{
    private ExportUser? _user;
    private IReadOnlyList<AccessTokenInfo> _mine = [];
    private IReadOnlyList<AccessTokenInfo> _everyone = [];
    private bool _loading = true;
    private bool _busy;
    private bool _formOpen;
    private string? _name;
    private string _expiresOn = "";
    private string? _expiryError;
    private string? _formError;
    private string? _error;
    private AccessTokenCreation? _created;

    [Inject]
    private AccessTokens Tokens { get; set; } = default!;

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private IOptions<ApiOptions> Settings { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

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
        // The default, unless an admin's cap is shorter: the last whole day the cap allows.
        var days = Math.Min(DefaultDays, (int)Tokens.MaxLifetimeFor(_user?.IsAdmin == true).TotalDays - 1);
        _expiresOn = BrowserInput.FormatDate(Today.AddDays(Math.Max(1, days)));
        _expiryError = null;
    }

    private const int DefaultDays = 30;

    private DateOnly Today => DateOnly.FromDateTime(TimeZone.ToLocal(Clock.GetUtcNow()));

    private void OnExpiryChanged(string text)
    {
        _expiresOn = text;
        ReadExpiry();
    }

    /// <summary>
    /// The instant the token stops working: the end of the chosen day in the user's zone. Null, with a message next
    /// to the field, when the day cannot be read or is out of bounds.
    /// </summary>
    private DateTimeOffset? ReadExpiry()
    {
        _expiryError = null;
        if (!BrowserInput.TryParseDate(_expiresOn, out var day))
        {
            _expiryError = string.IsNullOrWhiteSpace(_expiresOn)
                ? "Choose the last day the token works."
                : "Not a date: enter the day, month and year, or pick them from the calendar.";
            return null;
        }
        if (day <= Today)
        {
            _expiryError = "Choose a day after today.";
            return null;
        }
        var now = Clock.GetUtcNow();
        var midnight = day.AddDays(1).ToDateTime(TimeOnly.MinValue);
        // Where the clocks skip midnight, the day ends an hour later.
        var expiresAt = TimeZone.ToUtc(midnight) ?? TimeZone.ToUtc(midnight.AddHours(1))!.Value;
        var max = Tokens.MaxLifetimeFor(_user?.IsAdmin == true);
        if (expiresAt > now + max)
        {
            var lastDay = DateOnly.FromDateTime(TimeZone.ToLocal(now + max)).AddDays(-1);
            var whose = _user?.IsAdmin == true && max < Settings.Value.MaxTokenLifetime ? "A token with admin rights" : "A token";
            _expiryError = string.Create(CultureInfo.InvariantCulture, $"{whose} works for at most {max.TotalDays:0} days: choose {lastDay:yyyy-MM-dd} or earlier.");
            return null;
        }
        return expiresAt;
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
            Logger.LogError(ex, "Loading access tokens failed");
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
            if (ReadExpiry() is not { } expiresAt)
            {
                return;
            }
            var creation = await Tokens.CreateAsync(_user!, _name, expiresAt);
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

    /// <summary>An admin's action: every token of the token's owner stops working, after a confirmation.</summary>
    private async Task RevokeAllAsync(AccessTokenInfo token)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            $"Revoke every token of {token.OwnerName}?",
            $"All of {token.OwnerName}'s access tokens stop working at once, on every instance; tokens they create later work again.",
            yesText: "Revoke all", cancelText: "Keep them");
        if (confirmed != true)
        {
            return;
        }
        _busy = true;
        try
        {
            var revoked = await Tokens.RevokeAllAsync(_user!, token.OwnerId);
            Snackbar.Add(
                revoked is { } count
                    ? $"Revoked all tokens of {token.OwnerName} ({count} active): scripts using them are refused from now on."
                    : "Only admins may revoke another user's tokens.",
                revoked is null ? Severity.Error : Severity.Success);
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
