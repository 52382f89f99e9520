using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// Re-run, submit again, cancel and delete as the grid and the details page offer them: confirmation, the service
/// call, and a message that says what happened.
/// </summary>
public sealed class ExportActions(
    IExportSubmissions submissions,
    IExportCommands commands,
    IDialogService dialogs,
    ISnackbar snackbar,
    NavigationManager navigation)
{
    /// <summary>True when the request was cancelled.</summary>
    public async Task<bool> CancelAsync(ExportUser user, ExportSummary export)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(export);
        string? reason = null;
        var someoneElses = export.OwnerId != user.Id;
        if (someoneElses)
        {
            // An admin cancelling another user's export: the dialog names the owner and takes a reason for them.
            var dialog = await dialogs.ShowAsync<CancelExportDialog>(
                $"Cancel {export.OwnerName}'s export?",
                new DialogParameters<CancelExportDialog> { { d => d.OwnerName, export.OwnerName } });
            var result = await dialog.Result;
            if (result is null || result.Canceled)
            {
                return false;
            }
            reason = result.Data as string;
        }
        else
        {
            var confirmed = await dialogs.ShowMessageBoxAsync(
                "Cancel this export?",
                "The portal stops following the request. It cannot be resumed, but you can re-run it later.",
                yesText: "Cancel export", cancelText: "Keep it");
            if (confirmed != true)
            {
                return false;
            }
        }
        if (await commands.CancelAsync(user, export.Id, reason))
        {
            snackbar.Add(someoneElses ? $"The export was cancelled; {export.OwnerName} gets a notice." : "The export was cancelled.", Severity.Info);
            return true;
        }
        snackbar.Add("The export could not be cancelled: it has ended or is no longer there.", Severity.Warning);
        return false;
    }

    /// <summary>
    /// True when an unconfirmed request was submitted again. Only after the user confirmed the warning: the upstream
    /// may already be preparing it, and a second POST starts a second, billed export.
    /// </summary>
    public async Task<bool> SubmitAgainAsync(ExportUser user, ExportSummary export)
    {
        var confirmed = await dialogs.ShowMessageBoxAsync(
            "Submit this export again?",
            "The device platform may already be preparing this export: it did not confirm it. Submitting again may start "
            + "a second export, and each export is billed. Submit again only if you accept that cost.",
            yesText: "Submit again, possibly billed twice", cancelText: "Don't submit");
        if (confirmed != true)
        {
            return false;
        }
        if (await submissions.SubmitAgainAsync(user, export.Id))
        {
            snackbar.Add("The export is being submitted again.", Severity.Info);
            return true;
        }
        snackbar.Add("The export could not be submitted again: someone already decided about it, or it is no longer there.", Severity.Warning);
        return false;
    }

    /// <summary>True when the request was deleted from the history.</summary>
    public async Task<bool> DeleteAsync(ExportUser user, ExportSummary export)
    {
        var confirmed = await dialogs.ShowMessageBoxAsync(
            "Delete this export?",
            "It disappears from your history together with its timeline. Its files can no longer be downloaded here. "
            + "An export still open is cancelled first.",
            yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true)
        {
            return false;
        }
        if (await commands.DeleteAsync(user, export.Id))
        {
            snackbar.Add("The export was deleted.", Severity.Info);
            return true;
        }
        snackbar.Add("The export could not be deleted: it is no longer there.", Severity.Warning);
        return false;
    }

    /// <summary>Submits the same parameters again and opens the new request's page when it was accepted.</summary>
    public async Task RerunAsync(ExportUser user, ExportSummary export)
    {
        var outcome = await submissions.RerunAsync(user, export.Id);
        switch (outcome)
        {
            case SubmitOutcome.Accepted accepted:
                snackbar.Add("The export was submitted again.", Severity.Success);
                navigation.NavigateTo($"exports/{accepted.Export.Id}");
                break;
            case SubmitOutcome.Invalid invalid:
                snackbar.Add("The export cannot be re-run: " + string.Join(" ", invalid.Errors.Values.SelectMany(m => m)), Severity.Warning);
                break;
            case SubmitOutcome.Throttled throttled:
                snackbar.Add($"Too many exports at once. Try again in {Formatting.Duration(throttled.RetryAfter)}.", Severity.Warning);
                break;
            case SubmitOutcome.AllowanceUsedUp usedUp:
                snackbar.Add("The export was not re-run. " + usedUp.Allowance.Message, Severity.Warning);
                break;
            default:
                snackbar.Add("The export to re-run is no longer there.", Severity.Warning);
                break;
        }
    }
}
