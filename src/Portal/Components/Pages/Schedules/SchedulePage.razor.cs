using System.Globalization;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Schedules;

namespace Portal.Components.Pages.Schedules;

/// <summary>
/// A new schedule, or one schedule: its form with a live preview of the next three runs, its actions, its runs (kept
/// current as their exports change) and its history.
/// </summary>
public sealed partial class SchedulePage : IDisposable
{
    private static readonly DayOfWeek[] WeekDays =
        [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];

    private ScheduleDetails? _details;
    private ExportUser? _user;
    private bool _loading = true;
    private string? _loadError;
    private string? _actionError;
    private string? _saveError;
    private bool _saving;
    private bool _attempted;
    private bool _zoneTouched;
    private IDisposable? _subscription;

    private string _name = "";
    private FileFormat _format = FileFormat.Csv;
    private ScheduleRangeKind _rangeKind = ScheduleRangeKind.PreviousDay;
    private string _hours = "24";
    private RecurrenceKind _recurrence = RecurrenceKind.Daily;
    private string _time = "06:00";
    private readonly HashSet<DayOfWeek> _days = [DayOfWeek.Monday];
    private string _dayOfMonth = "1";
    private string _cron = "";
    private string _zoneId = "UTC";
    private IReadOnlyList<DateTimeOffset> _nextRuns = [];
    private IReadOnlyDictionary<string, string[]> _errors = new Dictionary<string, string[]>();

    [Parameter]
    public Guid? Id { get; set; }

    [Inject]
    private IScheduleService Schedules { get; set; } = default!;

    [Inject]
    private IExportChangeFeed Changes { get; set; } = default!;

    [Inject]
    private CurrentUser CurrentUser { get; set; } = default!;

    [Inject]
    private UserTimeZone TimeZone { get; set; } = default!;

    [Inject]
    private NavigationManager Navigation { get; set; } = default!;

    [Inject]
    private IDialogService Dialogs { get; set; } = default!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = default!;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    private ILogger Logger => Loggers.CreateLogger(PageErrors.LoggerCategory);

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
        if (!firstRender || !await TimeZone.ResolveAsync())
        {
            return;
        }
        // A new schedule runs in the browser's zone unless the user chose another.
        if (Id is null && !_zoneTouched)
        {
            _zoneId = ScheduleClock.IanaId(TimeZone.Zone);
            Preview();
        }
        StateHasChanged();
    }

    private async Task LoadAsync()
    {
        try
        {
            _loadError = null;
            if (Id is not { } id)
            {
                Preview();
                return;
            }
            var firstLoad = _details?.Summary.Id != id;
            _details = await Schedules.GetAsync(_user!, id);
            if (firstLoad && _details is not null)
            {
                Fill(ScheduleInput.From(ToSchedule(_details.Summary)));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
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

    private void Fill(ScheduleInput input)
    {
        _name = input.Name;
        _format = input.Format;
        _rangeKind = input.RangeKind;
        _hours = BrowserInput.FormatInt(input.RangeHours ?? 24);
        _recurrence = input.Recurrence;
        _time = BrowserInput.FormatTime(input.Time);
        _days.Clear();
        _days.UnionWith(input.Days);
        _dayOfMonth = BrowserInput.FormatInt(input.DayOfMonth);
        _cron = input.Cron ?? "";
        _zoneId = input.TimeZoneId;
        _zoneTouched = true;
        Preview();
    }

    private static Schedule ToSchedule(ScheduleSummary s) => new()
    {
        Name = s.Name, Format = s.Format, RangeKind = s.RangeKind, RangeHours = s.RangeHours, Recurrence = s.Recurrence, Cron = s.Cron, TimeZoneId = s.TimeZoneId,
    };

    private void Change(Action change)
    {
        change();
        Preview();
    }

    private void ToggleDay(DayOfWeek day, bool on)
    {
        if (on)
        {
            _days.Add(day);
        }
        else
        {
            _days.Remove(day);
        }
    }

    private (ScheduleInput Input, Dictionary<string, string[]> Errors) Read()
    {
        var errors = new Dictionary<string, string[]>();
        var time = new TimeOnly(6, 0);
        if (_recurrence != RecurrenceKind.Cron && !BrowserInput.TryParseTime(_time, out time))
        {
            errors["time"] = ["Enter a time of day: hours and minutes, e.g. 06:30."];
        }
        // Text that is not a number is checked like a missing or out-of-range one: the schedule's rules say what to fix.
        int? hours = BrowserInput.TryParseInt(_hours, out var h) ? h : null;
        var dayOfMonth = BrowserInput.TryParseInt(_dayOfMonth, out var d) ? d : 0;
        var input = new ScheduleInput
        {
            Name = _name ?? "",
            Format = _format,
            RangeKind = _rangeKind,
            RangeHours = hours,
            Recurrence = _recurrence,
            Time = time,
            Days = [.. _days],
            DayOfMonth = dayOfMonth,
            Cron = _cron,
            TimeZoneId = _zoneId ?? "",
        };
        return (input, errors);
    }

    private void Preview()
    {
        var (input, errors) = Read();
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

    private TimeZoneInfo Zone => ScheduleClock.FindZone(_zoneId) ?? TimeZoneInfo.Utc;

    private string FormatInZone(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTime(instant, Zone).ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture);

    private string RangeText(DateTimeOffset run)
    {
        if (HasError("rangeHours"))
        {
            return "(choose the hours)";
        }
        var range = ScheduleClock.RangeFor(_rangeKind, BrowserInput.TryParseInt(_hours, out var hours) ? hours : null, run, Zone);
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
            var (input, _) = Read();
            var outcome = Id is { } id ? await Schedules.UpdateAsync(_user!, id, input) : await Schedules.CreateAsync(_user!, input);
            switch (outcome)
            {
                case ScheduleOutcome.Saved saved when Id is null:
                    Snackbar.Add("The schedule was created.", Severity.Success);
                    Navigation.NavigateTo($"schedules/{saved.Schedule.Id}");
                    break;
                case ScheduleOutcome.Saved:
                    Snackbar.Add("The schedule was saved.", Severity.Success);
                    await LoadAsync();
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
            if (await Schedules.DeleteAsync(_user!, id))
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
