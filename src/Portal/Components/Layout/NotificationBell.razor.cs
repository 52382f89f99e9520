using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Components.Layout;

/// <summary>
/// Tells the user when one of their exports ends, on whatever page they are: a snackbar that names the export and links
/// to it at the moment it happens (except on that export's own page, which says so in place), and a bell that keeps the
/// notices. The notices are the service's, so one that arrived while the user was
/// away or reconnecting is still counted.
/// </summary>
public sealed partial class NotificationBell : IDisposable
{
    private const int MaxNotices = 20;

    private IReadOnlyList<ExportNotice> _notices = [];
    private int _unread;
    private bool _open;
    private ExportUser? _user;
    private IDisposable? _subscription;

    [Inject]
    private IExportNoticeInbox Notices { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    // The bell logs under its own category, not the pages' one.
    [Inject]
    private new ILogger<NotificationBell> Logger { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _user = await CurrentUser.GetAsync();
        // A prerendered bell is thrown away with its response: only the interactive one can still show a snackbar.
        if (RendererInfo.IsInteractive && _user is not null)
        {
            _subscription = Changes.SubscribeToOwner(_user.Id, OnExportChangedAsync);
        }
        await LoadNoticesAsync();
    }

    private async Task LoadNoticesAsync()
    {
        if (_user is null)
        {
            return;
        }
        try
        {
            _notices = await Notices.GetNoticesAsync(_user, MaxNotices);
            _unread = _notices.Count(n => !n.Read);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The bell is secondary: a page must not fail because its notices could not be read.
            Logger.LogWarning(ex, "Could not load the notices.");
        }
    }

    private async Task OnExportChangedAsync(ExportChanged change)
    {
        // From == To is a note on the timeline (a download, an upstream hiccup), not the end it repeats.
        if (change.OwnerId != _user?.Id || !IsEnd(change) || change.Previous == change.Status)
        {
            return;
        }
        await InvokeAsync(async () =>
        {
            try
            {
                await LoadNoticesAsync();
                // The export's own page says it in place; a snackbar there would cover the page's buttons for nothing.
                if (!IsOnPageOf(change.ExportId))
                {
                    Announce(change);
                }
                StateHasChanged();
            }
            catch (Exception ex)
            {
                await DispatchExceptionAsync(ex);
            }
        });
    }

    // A cancel the owner made needs no notice; one by an admin does, with who and why.
    private static bool IsEnd(ExportChanged change) => change.Status is ExportStatus.Completed or ExportStatus.Failed or ExportStatus.TimedOut
        || (change.Status == ExportStatus.Cancelled && CancelReason.IsByAnother(change.Detail));

    private bool IsOnPageOf(Guid exportId)
    {
        var path = Navigation.ToBaseRelativePath(Navigation.Uri);
        var end = path.IndexOfAny(['?', '#']);
        return string.Equals((end < 0 ? path : path[..end]).TrimEnd('/'), ExportLink(exportId), StringComparison.OrdinalIgnoreCase);
    }

    private static string ExportLink(Guid exportId) => $"exports/{exportId}";

    private void Announce(ExportChanged change)
    {
        // The notice the change wrote names its export; the words below stand in only if it could not be read.
        var notice = _notices.FirstOrDefault(n => n.ExportId == change.ExportId && n.Status == change.Status);
        var (fallback, severity) = change.Status switch
        {
            ExportStatus.Completed => ("Your export is ready to download.", Severity.Success),
            ExportStatus.TimedOut => ("Your export took too long; the portal stopped waiting.", Severity.Warning),
            ExportStatus.Cancelled => ("Your export was cancelled: " + change.Detail, Severity.Warning),
            _ => ("Your export failed" + (string.IsNullOrEmpty(change.Detail) ? "." : ": " + change.Detail), Severity.Error),
        };
        var link = ExportLink(change.ExportId);
        Snackbar.Add(SnackbarMessage(notice?.Text ?? fallback, link), severity, options =>
        {
            options.Action = "Open";
            options.ActionColor = Color.Inherit;
            options.OnClick = _ =>
            {
                Navigation.NavigateTo(link);
                return Task.CompletedTask;
            };
        }, key: $"{change.ExportId}:{change.Status}");
    }

    private async Task ToggleAsync()
    {
        _open = !_open;
        if (!_open || _unread == 0 || _user is null)
        {
            return;
        }
        try
        {
            await Notices.MarkNoticesReadAsync(_user);
            _unread = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logger.LogWarning(ex, "Could not mark the notices read.");
        }
    }

    private void Close() => _open = false;

    private void OnKeyDown(KeyboardEventArgs e)
    {
        if (e.Key == "Escape")
        {
            _open = false;
        }
    }

    public void Dispose() => _subscription?.Dispose();
}
