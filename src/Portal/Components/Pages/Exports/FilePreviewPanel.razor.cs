using System.Globalization;
using DeviceStatus.Formats.Preview;
using Microsoft.AspNetCore.Components;
using Portal.Components.Shared;
using Portal.Exports;
using Portal.Previews;

namespace Portal.Components.Pages.Exports;

/// <summary>The first rows of one result file in a typed grid, with facts about each column.</summary>
public sealed partial class FilePreviewPanel : IDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private PreviewOutcome? _outcome;

    [Parameter, EditorRequired]
    public Guid ExportId { get; set; }

    [Parameter, EditorRequired]
    public ExportFileInfo File { get; set; } = default!;

    [Parameter, EditorRequired]
    public ExportUser User { get; set; } = default!;

    [Parameter]
    public EventCallback OnClose { get; set; }

    /// <summary>The file's size, once the preview has learned it.</summary>
    [Parameter]
    public EventCallback<long> OnSize { get; set; }

    [Inject]
    private IFilePreviewService Previews { get; set; } = default!;

    [Inject]
    private ILoggerFactory Loggers { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _outcome = await Previews.PreviewAsync(User, ExportId, File.Part, _closed.Token);
            if (_outcome is PreviewOutcome.Shown shown)
            {
                await OnSize.InvokeAsync(shown.Preview.FileBytes);
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or IOException)
        {
            _outcome = new PreviewOutcome.Problem(PageErrors.Report(Loggers.CreateLogger(PageErrors.LoggerCategory), ex, "The preview could not be loaded."));
        }
    }

    private static string TypeName(PreviewColumn column) => column.Kind switch
    {
        ColumnKind.Timestamp => "timestamp (UTC)",
        ColumnKind.Number => "double",
        ColumnKind.WholeNumber => "int32",
        _ => "string",
    } + (column.Nullable ? ", nullable" : "");

    private static string FileStatistics(FileColumnStatistics? statistics) => statistics is null
        ? "–"
        : string.Create(CultureInfo.InvariantCulture,
            $"{Formatting.Count(statistics.Values ?? 0)} values, {Formatting.Count(statistics.Nulls ?? 0)} nulls, min {statistics.Min ?? "–"}, max {statistics.Max ?? "–"}");

    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
    }
}
