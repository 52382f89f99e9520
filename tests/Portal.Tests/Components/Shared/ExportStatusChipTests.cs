using Bunit;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Tests.Components.Shared;

public class ExportStatusChipTests : PortalTestContext
{
    [Theory]
    [InlineData(ExportStatus.Queued, "Queued")]
    [InlineData(ExportStatus.Submitted, "Submitted")]
    [InlineData(ExportStatus.InProgress, "In Progress")]
    [InlineData(ExportStatus.Completed, "Completed")]
    [InlineData(ExportStatus.Failed, "Failed")]
    [InlineData(ExportStatus.TimedOut, "Timed out")]
    [InlineData(ExportStatus.Cancelled, "Cancelled")]
    [InlineData(ExportStatus.Expired, "Expired")]
    public void ShowsEachStatusByItsDisplayName(ExportStatus status, string text)
    {
        var chip = Render<ExportStatusChip>(p => p.Add(c => c.Status, status));

        var element = chip.Find("[data-testid=status-chip]");
        Assert.Equal(text, element.TextContent.Trim());
        Assert.Equal(status.ToString(), element.GetAttribute("data-status"));
    }

    [Fact]
    public void EndedAndOpenStatusesLookDifferent()
    {
        Assert.NotEqual(ExportStatusChip.ColorOf(ExportStatus.Completed), ExportStatusChip.ColorOf(ExportStatus.Failed));
        Assert.NotEqual(ExportStatusChip.ColorOf(ExportStatus.InProgress), ExportStatusChip.ColorOf(ExportStatus.Completed));
        Assert.Equal(Enum.GetValues<ExportStatus>().Length, Enum.GetValues<ExportStatus>().Select(ExportStatusChip.IconOf).Distinct().Count());
    }
}
