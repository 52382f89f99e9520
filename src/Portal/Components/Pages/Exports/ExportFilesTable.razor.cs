using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using Portal.Downloads;
using Portal.Exports;
using Portal.Previews;

namespace Portal.Components.Pages.Exports;

/// <summary>A completed export's files: size, preview and download of each, and all of them as one zip.</summary>
public sealed partial class ExportFilesTable
{
    /// <summary>Where the export page puts the preview of a file: below its cards, across the page.</summary>
    public const string PreviewSection = "export-file-preview";

    private IReadOnlyDictionary<int, long?> _sizes = new Dictionary<int, long?>();
    private ExportFileInfo? _previewed;
    private Guid _sizesOf;

    [Parameter, EditorRequired]
    public ExportDetails Export { get; set; } = default!;

    [Parameter, EditorRequired]
    public ExportUser User { get; set; } = default!;

    [Inject]
    private IFilePreviewService Previews { get; set; } = default!;

    [Inject]
    private IOptions<DownloadOptions> Downloads { get; set; } = default!;

    private long? Total => Export.Files.All(f => SizeOf(f) is not null) ? Export.Files.Sum(f => SizeOf(f)!.Value) : null;

    protected override async Task OnParametersSetAsync()
    {
        if (_sizesOf == Export.Summary.Id || !RendererInfo.IsInteractive)
        {
            return;
        }

        // Sizes come from the file host (a HEAD per file not measured before), so only once per export and only once interactive.
        _sizesOf = Export.Summary.Id;
        try
        {
            _sizes = await Previews.SizesAsync(User, Export.Summary.Id);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException)
        {
            _sizes = new Dictionary<int, long?>();
        }
    }

    private long? SizeOf(ExportFileInfo file) => file.SizeBytes ?? _sizes.GetValueOrDefault(file.Part);

    private string FileName(ExportFileInfo file) =>
        ResultFileNames.ForAll(Export.Summary.Format, Export.Summary.Range, Export.Files.Select(f => (f.Part, (string?)f.Name)))[file.Part];

    private void Preview(ExportFileInfo file) => _previewed = file;

    private void SizeLearned(int part, long size) => _sizes = new Dictionary<int, long?>(_sizes) { [part] = size };
}
