using System.ComponentModel.DataAnnotations;

namespace Portal.Components.Pages.Exports;

/// <summary>Settings of the new-export form, section <c>Exports</c>.</summary>
public sealed class NewExportOptions
{
    public const string SectionName = "Exports";

    /// <summary>How many devices report a row per minute: the row estimate is devices × minutes.</summary>
    [Range(1, 100_000_000)]
    public int DeviceCount { get; set; } = 1000;

    /// <summary>Rows per result file; the upstream splits larger results into parts of this size.</summary>
    [Range(1, int.MaxValue)]
    public int RowsPerFile { get; set; } = 1_000_000;
}
