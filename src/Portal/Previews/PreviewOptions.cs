using System.ComponentModel.DataAnnotations;

namespace Portal.Previews;

/// <summary>File previews, section <c>Preview</c>.</summary>
public sealed class PreviewOptions
{
    public const string SectionName = "Preview";

    /// <summary>The most a preview fetches from one file; a file whose first rows lie further in is not previewed.</summary>
    [Range(1024, 1L << 30)]
    public long MaxBytes { get; set; } = 8 * 1024 * 1024;
}
