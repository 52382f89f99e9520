using Microsoft.AspNetCore.Components;
using MudBlazor;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Exports;
using Portal.Upstream;

namespace Portal.Components.Pages.Admin;

public sealed partial class Dashboard
{
    private int _days = 7;
    private bool _loading = true;
    private string? _error;
    private ExportStatistics? _stats;
    private string[] _dayLabels = [];
    private List<ChartSeries<double>> _daySeries = [];
    private StackedBarChartOptions _dayOptions = new();
    private string[] _formatLabels = [];
    private List<ChartSeries<double>> _durationSeries = [];
    private string[] _failureLabels = [];
    private List<ChartSeries<double>> _failureSeries = [];

    [Inject]
    private IExportStatistics Statistics { get; set; } = default!;

    protected override Task OnInitializedAsync() => LoadAsync();

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && await TimeZone.ResolveAsync())
        {
            StateHasChanged();
        }
    }

    private Task OnDaysChangedAsync(int days)
    {
        _days = days;
        return LoadAsync();
    }

    private async Task LoadAsync()
    {
        _loading = true;
        _error = null;
        try
        {
            var user = await CurrentUser.GetAsync();
            _stats = await Statistics.GetStatisticsAsync(user, Clock.GetUtcNow().AddDays(-_days));
            if (_stats is null)
            {
                _error = "Only admins can see the dashboard.";
                return;
            }
            BuildCharts(_stats);
        }
        // A database that is away goes to the page's error boundary: its calm state tries again by itself.
        catch (Exception ex) when (ex is not OperationCanceledException && !DatabaseErrors.IsUnavailable(ex))
        {
            _error = PageErrors.Report(Logger, ex, "The figures could not be loaded.");
        }
        finally
        {
            _loading = false;
        }
    }

    private void BuildCharts(ExportStatistics stats)
    {
        var days = stats.RequestsPerDay.Select(d => d.Day).Distinct().Order().ToList();
        _dayLabels = [.. days.Select(d => d.ToString("MM-dd", System.Globalization.CultureInfo.InvariantCulture))];
        _daySeries = [.. stats.RequestsPerDay.Select(d => d.Status).Distinct().Order().Select(status => new ChartSeries<double>
        {
            Name = status.DisplayName(),
            Data = new ChartData<double>([.. days.Select(day => (double)stats.RequestsPerDay.Where(d => d.Day == day && d.Status == status).Sum(d => d.Count))]),
        })];

        // A status keeps its colour whichever statuses a period has: failures read red at a glance.
        _dayOptions = new StackedBarChartOptions { ChartPalette = [.. _daySeries.Select(series => StatusColours[StatusNamed(series.Name)])] };

        _formatLabels = [.. stats.DurationsByFormat.Select(f => f.Format.ApiName())];
        _durationSeries =
        [
            new() { Name = "p50", Data = new ChartData<double>([.. stats.DurationsByFormat.Select(f => f.P50Seconds)]) },
            new() { Name = "p90", Data = new ChartData<double>([.. stats.DurationsByFormat.Select(f => f.P90Seconds)]) },
            new() { Name = "p95", Data = new ChartData<double>([.. stats.DurationsByFormat.Select(f => f.P95Seconds)]) },
        ];

        _failureLabels = [.. stats.FailuresByReason.Select(f => f.Reason)];
        _failureSeries = [new() { Name = "Failures", Data = new ChartData<double>([.. stats.FailuresByReason.Select(f => (double)f.Count)]) }];
    }

    private static readonly Dictionary<ExportStatus, string> StatusColours = new()
    {
        [ExportStatus.Queued] = "#9e9e9e",
        [ExportStatus.Submitted] = "#29b6f6",
        [ExportStatus.InProgress] = "#5c6bc0",
        [ExportStatus.Completed] = "#43a047",
        [ExportStatus.Failed] = "#e53935",
        [ExportStatus.TimedOut] = "#fb8c00",
        [ExportStatus.Cancelled] = "#78909c",
        [ExportStatus.Expired] = "#8d6e63",
    };

    private static ExportStatus StatusNamed(string name) => Enum.GetValues<ExportStatus>().First(s => s.DisplayName() == name);

    private static double BudgetPercent(UpstreamHealth health) =>
        health.PollBudgetPerMinute <= 0 ? 0 : Math.Min(100, 100.0 * health.PollsLastMinute / health.PollBudgetPerMinute);
}
