using Bunit;
using Portal.Components.Pages.Exports;
using Portal.Exports;

namespace Portal.Tests.Components.Pages.Exports;

/// <summary>An export's deliveries as its page lists them: each state in words, with what was written or what went wrong.</summary>
public class ExportDeliveryListTests : ExportTestContext
{
    private static DeliveryInfo Delivery(string status, string? error = null, int attempts = 0, DateTimeOffset? next = null, params DeliveredFile[] files) =>
        new(1, Guid.NewGuid(), "Team storage", "azure-blob", status, error, files, attempts, next, status == "Delivered" ? new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero) : null);

    private IRenderedComponent<ExportDeliveryList> RenderList(params DeliveryInfo[] deliveries) =>
        Render<ExportDeliveryList>(p => p.Add(c => c.Deliveries, deliveries));

    [Fact]
    public void ADeliveredRowListsThePathsAndSizesWritten()
    {
        var list = RenderList(Delivery("Delivered", files:
            [new DeliveredFile("part-00000.csv", "csv/2026-11-27/a-1.csv", 1_500_000), new DeliveredFile("part-00001.csv", "csv/2026-11-27/a-2.csv", 2048)]));

        var row = list.Find("[data-testid=delivery-status]");
        Assert.Equal("Delivered", row.GetAttribute("data-status"));
        Assert.Contains("Team storage", row.TextContent, StringComparison.Ordinal);
        Assert.Contains("Azure Blob Storage", row.TextContent, StringComparison.Ordinal);
        var files = list.FindAll("[data-testid=delivered-file]").Select(f => f.TextContent.Trim()).ToList();
        Assert.Equal(2, files.Count);
        Assert.StartsWith("csv/2026-11-27/a-1.csv (1.4 MB)", files[0], StringComparison.Ordinal);
        Assert.StartsWith("csv/2026-11-27/a-2.csv (2 KB)", files[1], StringComparison.Ordinal);
        Assert.Contains("2 files", list.Find("[data-testid=delivery-details]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void AFailedRowSaysWhyInWords()
    {
        var list = RenderList(Delivery("Failed", "The SFTP server's host key SHA256:abc does not match the fingerprint SHA256:xyz.", attempts: 1));

        Assert.Equal("Failed", list.Find("[data-testid=delivery-status]").GetAttribute("data-status"));
        Assert.Equal("The SFTP server's host key SHA256:abc does not match the fingerprint SHA256:xyz.", list.Find("[data-testid=delivery-error]").TextContent.Trim());
    }

    [Fact]
    public void AWaitingRowSaysWhatWentWrongAndWhenItTriesAgain()
    {
        var list = RenderList(Delivery("Pending", "The storage account did not answer.", attempts: 2, next: new DateTimeOffset(2026, 11, 28, 12, 5, 0, TimeSpan.Zero)));

        var retry = list.Find("[data-testid=delivery-retry]").TextContent;
        Assert.Contains("The storage account did not answer.", retry, StringComparison.Ordinal);
        Assert.Contains("Tried 2 times", retry, StringComparison.Ordinal);
        Assert.Contains("next try at", retry, StringComparison.Ordinal);
        Assert.Contains("12:05", retry, StringComparison.Ordinal);
    }

    [Fact]
    public void APendingRowBeforeCompletionSaysWhenItStarts()
    {
        var list = RenderList(Delivery("Pending"), Delivery("Delivering", attempts: 1));

        var rows = list.FindAll("[data-testid=delivery-status]");
        Assert.Equal(["Pending", "Delivering"], rows.Select(r => r.GetAttribute("data-status")));
        Assert.Contains("Starts when the export completes.", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Writing the files now", rows[1].TextContent, StringComparison.Ordinal);
    }
}
