using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Components.Shared;
using Portal.Exports;
using Portal.Hosting;
using Portal.Tracking;

namespace Portal.Components.Pages.Exports;

public sealed partial class NewExport : IDisposable
{
    private const string LocalInputFormat = "yyyy-MM-ddTHH:mm";

    private DateTime? _fromLocal;
    private DateTime? _toLocal;
    private FileFormat _format = FileFormat.Csv;
    private string? _name;
    private string? _nameError;
    private string? _preset;
    private Dictionary<string, string> _errors = [];
    private ExportSummary? _reusable;
    private string? _submitError;
    private bool _submitting;
    private CancellationTokenSource? _reusableLookup;

    [Inject]
    private IExportSubmissions Exports { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private UserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private TimeProvider Clock { get; set; } = default!;

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
        (_fromLocal, _toLocal) = preset.For(TimeZone.ToLocal(Clock.GetUtcNow()));
        _preset = preset.Key;
        Validate();
    }

    private Task OnFromChangedAsync(DateTime? value)
    {
        _fromLocal = value;
        _preset = null;
        Validate();
        return LookForReusableAsync();
    }

    private Task OnToChangedAsync(DateTime? value)
    {
        _toLocal = value;
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

    private void Validate()
    {
        _submitError = null;
        DateTimeOffset? from = null, to = null;
        var skipped = new Dictionary<string, string>();
        if (_fromLocal is { } fromLocal)
        {
            from = TimeZone.ToUtc(fromLocal);
            if (from is null)
            {
                skipped["from"] = "This time does not exist here: the clocks change then.";
            }
        }
        if (_toLocal is { } toLocal)
        {
            to = TimeZone.ToUtc(toLocal);
            if (to is null)
            {
                skipped["to"] = "This time does not exist here: the clocks change then.";
            }
        }

        _errors = RangeRules.Check(from, to, Clock.GetUtcNow());
        foreach (var (field, message) in skipped)
        {
            _errors[field] = message;
            _errors.Remove("range");
        }
        Range = _errors.Count == 0 && from is { } f && to is { } t ? new TimeRange(f, t) : null;
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
            var outcome = await Exports.SubmitAsync(user, range, _format, ExportNames.Normalize(_name) ?? ExportNames.Default(_format, range, TimeZone.Zone));
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
                    foreach (var (key, messages) in invalid.Errors.Where(e => e.Key != "name"))
                    {
                        _errors[RangeRules.FieldOf(key)] = string.Join(" ", messages);
                    }
                    Range = null;
                    _submitError = "The export was not submitted. Correct the marked fields and try again.";
                    break;
                case SubmitOutcome.Throttled throttled:
                    _submitError = $"You have submitted many exports in a short time. Try again in {Formatting.Duration(throttled.RetryAfter)}.";
                    break;
            }
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
