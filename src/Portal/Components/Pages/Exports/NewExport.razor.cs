using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Tracking;

namespace Portal.Components.Pages.Exports;

// One room (about 420 lines with its markup): range, format and name check each other and feed one estimate, one reuse lookup and one submit.
public sealed partial class NewExport : IDisposable
{
    private string _fromText = "";
    private string _toText = "";

    /// <summary>The field a problem with the whole range is shown under: the one changed last.</summary>
    private string _rangeField = "to";
    private FileFormat _format = FileFormat.Csv;
    private string? _name;
    private string? _nameError;
    private string? _preset;
    private IReadOnlyList<Guid> _destinations = [];
    private IReadOnlyList<string> _teams = [];
    private string? _team;
    private Dictionary<string, string> _errors = [];
    private ExportSummary? _reusable;
    private string? _submitError;
    private bool _submitting;
    private ExportAllowance? _allowance;
    private CancellationTokenSource? _reusableLookup;

    [Inject]
    private IExportSubmissions Exports { get; set; } = default!;

    [Inject]
    private DatabaseOutage Outage { get; set; } = default!;

    [Inject]
    private IExportAllowances Allowances { get; set; } = default!;

    [Inject]
    private IOptions<NewExportOptions> Settings { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ReadyEstimates ReadyEstimates { get; set; } = default!;

    [Inject]
    private IFileSizeEstimates SizeEstimates { get; set; } = default!;

    /// <summary>What recent exports' measured files say about sizes; nothing until loaded.</summary>
    private FileSizeRates FileSizes { get; set; } = FileSizeRates.None;

    /// <summary>The range to submit, in UTC; null while the form has a problem.</summary>
    private TimeRange? Range { get; set; }

    protected override async Task OnInitializedAsync()
    {
        SetPreset(RangePresets.Default);
        FileSizes = await SizeEstimates.LoadAsync();
        var user = await CurrentUser.GetAsync();
        _allowance = await Allowances.GetAsync(user.Id);
        _teams = user.Teams;
        // The team of the user's last export, while they are still a member of it.
        _team = _teams.Count > 0 && await Exports.LastTeamAsync(user) is { } last && user.IsMemberOf(last) ? last : null;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }
        // An untouched preset means the same span in the browser's zone: recompute it there.
        if (await TimeZone.ResolveAsync() && _preset is { } key)
        {
            SetPreset(RangePresets.All.First(p => p.Key == key));
        }
        await LookForReusableAsync();
        StateHasChanged();
    }

    private Task ApplyPresetAsync(RangePreset preset)
    {
        SetPreset(preset);
        return LookForReusableAsync();
    }

    private void SetPreset(RangePreset preset)
    {
        var (from, to) = preset.For(TimeZone.ToLocal(Clock.GetUtcNow()));
        (_fromText, _toText) = (BrowserInput.FormatDateTime(from), BrowserInput.FormatDateTime(to));
        _preset = preset.Key;
        _rangeField = "to";
        Validate();
    }

    private Task OnFromChangedAsync(string text)
    {
        _fromText = text;
        _rangeField = "from";
        _preset = null;
        Validate();
        return LookForReusableAsync();
    }

    private Task OnToChangedAsync(string text)
    {
        _toText = text;
        _rangeField = "to";
        _preset = null;
        Validate();
        return LookForReusableAsync();
    }

    private Task OnFormatChangedAsync(FileFormat value)
    {
        _format = value;
        _errors.Remove("format");
        return LookForReusableAsync();
    }

    private void OnTeamChanged(string? team)
    {
        _team = team;
        _errors.Remove("team");
        // The destinations offered are the team's, or the user's own without a team: a choice made for the other does not carry over.
        _destinations = [];
        _errors.Remove("destinations");
    }

    private void OnDestinationsChanged(IReadOnlyList<Guid> destinations)
    {
        _destinations = destinations;
        _errors.Remove("destinations");
    }

    /// <summary>The name the export gets when the field is left empty: format and range in the user's zone.</summary>
    private string? DefaultName => Range is { } range ? ExportNames.Default(_format, range, TimeZone.Zone) : null;

    private string NameHelp => DefaultName is { } name
        ? $"Left empty, it is called \u201c{name}\u201d."
        : "Left empty, it is named after its format and time range.";

    private void OnNameChanged(string? value)
    {
        _name = value;
        _nameError = ExportNames.Problem(value);
    }

    private string DurationText(TimeRange range) => ReadyEstimates.Usual(_format, range) is { } usual
        ? $"Usually takes about {Formatting.Approximately(usual.P50)} ({Formatting.ApproximateRange(usual.P5, usual.P95)}), from {Formatting.Count(usual.Samples)} similar exports."
        : "How long it takes: no estimate yet, no similar export has completed.";

    private string SizeText(FileFormat format, long rows, long files) => FileSizes.Estimate(format, rows) is { } bytes
        ? files == 1 ? $"about {Formatting.Bytes(bytes)}" : $"about {Formatting.Bytes(bytes)} in {Formatting.Count(files)} files"
        : "no estimate yet";

    /// <summary>The message under a field: its own problem, or the whole range's when that field was changed last.</summary>
    private string? ErrorOf(string field) =>
        _errors.GetValueOrDefault(field) ?? (field == _rangeField ? _errors.GetValueOrDefault("range") : null);

    private void Validate()
    {
        _submitError = null;
        var fieldErrors = new Dictionary<string, string>();
        var from = ReadBound("from", _fromText, fieldErrors);
        var to = ReadBound("to", _toText, fieldErrors);

        _errors = RangeRules.Check(from, to, Clock.GetUtcNow());
        foreach (var (field, message) in fieldErrors)
        {
            _errors[field] = message;
            _errors.Remove("range");
        }
        Range = _errors.Count == 0 && from is { } f && to is { } t ? new TimeRange(f, t) : null;
    }

    /// <summary>The UTC instant of a bound as typed; null, with a message when there is something to fix, otherwise.</summary>
    private DateTimeOffset? ReadBound(string field, string text, Dictionary<string, string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        if (!BrowserInput.TryParseDateTime(text, out var local))
        {
            errors[field] = "Not a date and time: enter the day, month, year, hours and minutes, or pick them from the calendar.";
            return null;
        }
        if (TimeZone.ToUtc(local) is not { } instant)
        {
            errors[field] = "This time does not exist here: the clocks change then.";
            return null;
        }
        return instant;
    }

    private async Task LookForReusableAsync()
    {
        if (_reusableLookup is not null)
        {
            await _reusableLookup.CancelAsync();
            _reusableLookup.Dispose();
        }
        _reusable = null;
        if (Range is not { } range)
        {
            _reusableLookup = null;
            return;
        }

        _reusableLookup = new CancellationTokenSource();
        var token = _reusableLookup.Token;
        try
        {
            var user = await CurrentUser.GetAsync();
            var reusable = await Exports.FindReusableAsync(user, range, _format, token);
            if (!token.IsCancellationRequested)
            {
                _reusable = reusable;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A newer range or format replaced this lookup.
        }
        catch (Exception ex) when (Outage.Failed(ex, "a page"))
        {
            // Only a hint: without the database the form offers no earlier result, and submitting says what is wrong.
        }
    }

    private async Task SubmitAsync()
    {
        Validate();
        if (Range is not { } range || _submitting)
        {
            return;
        }
        if ((_nameError = ExportNames.Problem(_name)) is not null)
        {
            _submitError = "The export was not submitted. Correct its name and try again.";
            return;
        }

        _submitting = true;
        _submitError = null;
        using var action = PortalActivity.StartPageAction("export.submit");
        try
        {
            var user = await CurrentUser.GetAsync();
            var outcome = await Exports.SubmitAsync(user, range, _format, ExportNames.Normalize(_name) ?? ExportNames.Default(_format, range, TimeZone.Zone), _destinations, _team);
            switch (outcome)
            {
                case SubmitOutcome.Accepted accepted:
                    Navigation.NavigateTo($"exports/{accepted.Export.Id}");
                    break;
                case SubmitOutcome.Invalid invalid:
                    if (invalid.Errors.TryGetValue("name", out var nameMessages))
                    {
                        _nameError = string.Join(" ", nameMessages);
                    }
                    if (invalid.Errors.TryGetValue("destinations", out var destinationMessages))
                    {
                        _errors["destinations"] = string.Join(" ", destinationMessages);
                    }
                    if (invalid.Errors.TryGetValue("team", out var teamMessages))
                    {
                        _errors["team"] = string.Join(" ", teamMessages);
                    }
                    foreach (var (key, messages) in invalid.Errors.Where(e => e.Key is not ("name" or "destinations" or "team")))
                    {
                        _errors[RangeRules.FieldOf(key)] = string.Join(" ", messages);
                        Range = null;
                    }
                    _submitError = "The export was not submitted. Correct the marked fields and try again.";
                    break;
                case SubmitOutcome.Throttled throttled:
                    _submitError = $"You have submitted many exports in a short time. Try again in {Formatting.Duration(throttled.RetryAfter)}.";
                    break;
                case SubmitOutcome.AllowanceUsedUp usedUp:
                    _allowance = usedUp.Allowance;
                    _submitError = "The export was not submitted. " + usedUp.Allowance.Message;
                    break;
            }
        }
        catch (Exception ex) when (DatabaseErrors.Classify(ex) is { } trouble)
        {
            // Nothing was stored (the request and its first entry are one transaction): the form keeps what was typed.
            Outage.Failed(ex, "a page");
            _submitError = "The export was not submitted. " + DatabaseErrors.DescribeForAction(trouble);
        }
        finally
        {
            _submitting = false;
        }
    }

    public void Dispose()
    {
        _reusableLookup?.Cancel();
        _reusableLookup?.Dispose();
    }
}
