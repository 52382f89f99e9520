using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Exports;
using Portal.Schedules;

namespace Portal.Components.Pages.Schedules;

/// <summary>
/// A schedule's form: what each run exports and when it runs, with a live preview of the next three runs, and saving
/// it (a new schedule opens its own page once created).
/// </summary>
public sealed partial class ScheduleForm
{
    private static readonly DayOfWeek[] WeekDays =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    private Guid? _filledFrom;
    private string? _saveError;
    private bool _saving;
    private bool _attempted;
    private bool _zoneTouched;

    private readonly ScheduleFields _fields = new();
    private IReadOnlyList<DateTimeOffset> _nextRuns = [];
    private IReadOnlyDictionary<string, string[]> _errors = new Dictionary<string, string[]>();

    /// <summary>The schedule being edited; null for a new one.</summary>
    [Parameter]
    public ScheduleSummary? Schedule { get; set; }

    [Parameter, EditorRequired]
    public ExportUser? User { get; set; }

    /// <summary>The user reads the schedule but may not change it (a member of its team): nothing can be saved.</summary>
    [Parameter]
    public bool ReadOnly { get; set; }

    /// <summary>An existing schedule was saved: the page shows it as it is now.</summary>
    [Parameter]
    public EventCallback OnSaved { get; set; }

    [Inject]
    private IScheduleService Schedules { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    protected override void OnInitialized()
    {
        if (Schedule is null)
        {
            Preview();
        }
    }

    protected override void OnParametersSet()
    {
        if (Schedule is not null && Schedule.Id != _filledFrom)
        {
            _filledFrom = Schedule.Id;
            _fields.Fill(Schedule);
            _zoneTouched = true;
            Preview();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // A new schedule runs in the browser's zone unless the user chose another.
        if (firstRender && await TimeZone.ResolveAsync() && Schedule is null && !_zoneTouched)
        {
            _fields.ZoneId = ScheduleClock.IanaId(TimeZone.Zone);
            Preview();
            StateHasChanged();
        }
    }

    private void Change(Action change)
    {
        change();
        Preview();
    }

    private void Preview()
    {
        var (input, errors) = _fields.Read();
        var (runs, checkErrors) = Schedules.Preview(input);
        foreach (var (key, messages) in checkErrors)
        {
            errors.TryAdd(key, messages);
        }
        _errors = errors;
        // Runs at a default time would mislead while the typed time cannot be read.
        _nextRuns = errors.ContainsKey("time") ? [] : runs;
    }

    private string? ErrorOf(string key) =>
        (key != "name" || _attempted) && _errors.TryGetValue(key, out var messages) ? string.Join(" ", messages) : null;

    private bool HasError(string key) => ErrorOf(key) is not null;

    private Task<IEnumerable<string>> SearchZonesAsync(string? text, CancellationToken cancellationToken) =>
        Task.FromResult(TimeZones.Search(text, ScheduleClock.IanaId(TimeZone.Zone)));

    private TimeZoneInfo Zone => ScheduleClock.FindZone(_fields.ZoneId) ?? TimeZoneInfo.Utc;

    private string FormatInZone(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTime(instant, Zone).ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);

    private string RangeText(DateTimeOffset run)
    {
        if (HasError("rangeHours"))
        {
            return "(choose the hours)";
        }
        var range = ScheduleClock.RangeFor(_fields.RangeKind, BrowserInput.TryParseInt(_fields.Hours, out var hours) ? hours : null, run, Zone);
        var from = TimeZoneInfo.ConvertTime(range.From, Zone);
        var to = TimeZoneInfo.ConvertTime(range.To, Zone);
        return string.Create(CultureInfo.InvariantCulture, $"{from:yyyy-MM-dd HH:mm} → {to:yyyy-MM-dd HH:mm}");
    }

    private async Task SaveAsync()
    {
        _attempted = true;
        _saveError = null;
        Preview();
        if (_errors.Count > 0)
        {
            _saveError = "Fix the fields marked in red first.";
            return;
        }
        _saving = true;
        try
        {
            var (input, _) = _fields.Read();
            var outcome = Schedule is { } schedule ? await Schedules.UpdateAsync(User!, schedule.Id, input) : await Schedules.CreateAsync(User!, input);
            switch (outcome)
            {
                case ScheduleOutcome.Saved saved when Schedule is null:
                    Snackbar.Add("The schedule was created.", Severity.Success);
                    Navigation.NavigateTo($"schedules/{saved.Schedule.Id}");
                    break;
                case ScheduleOutcome.Saved:
                    Snackbar.Add("The schedule was saved.", Severity.Success);
                    await OnSaved.InvokeAsync();
                    break;
                case ScheduleOutcome.Invalid invalid:
                    _errors = invalid.Errors;
                    _saveError = string.Join(" ", invalid.Errors.Values.SelectMany(m => m));
                    break;
                case ScheduleOutcome.Conflict:
                    _saveError = "The schedule changed meanwhile (a run, or someone else). Reload the page and make your change again.";
                    break;
                case ScheduleOutcome.NotFound:
                    _saveError = "This schedule no longer exists.";
                    break;
                case ScheduleOutcome.Forbidden:
                    _saveError = "Only the team's maintainers can change this schedule.";
                    break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _saveError = PageErrors.Report(Logger, ex, "The schedule could not be saved.");
        }
        finally
        {
            _saving = false;
        }
    }
}
