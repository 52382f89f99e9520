using System.ComponentModel.DataAnnotations;

namespace Portal.Previews;

/// <summary>File previews and the zip of all parts, section <c>Preview</c>.</summary>
public sealed class PreviewOptions
{
    public const string SectionName = "Preview";

    /// <summary>The most a preview fetches from one file; a file whose first rows lie further in is not previewed.</summary>
    [Range(1024, 1L << 30)]
    public long MaxBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Previews one user may have under way at once (per instance); one more is refused with a message.</summary>
    [Range(1, 100)]
    public int MaxConcurrentPerUser { get; set; } = 2;

    /// <summary>Zips of all parts one user may be downloading at once (per instance); one more answers 429.</summary>
    [Range(1, 100)]
    public int MaxConcurrentZipsPerUser { get; set; } = 2;
}
