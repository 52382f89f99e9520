using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Pages.Exports;
using Portal.Data;
using Portal.Exports;

namespace Portal.Tests.Components.Pages.Exports;

/// <summary>The export page's deliveries, read by the real query and kept current by the page's change subscription.</summary>
public class ExportPageDeliveryTests : ExportTestContext
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private async Task<(ExportSummary Export, long DeliveryId)> ExportDeliveredToAsync(string destinationName)
    {
        var destination = await AddDestinationAsync(destinationName);
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken);
        var now = Clock.GetUtcNow();
        db.ExportRequests.Add(new ExportRequest
        {
            Id = export.Id, OwnerId = UserId, OwnerName = UserName, RangeFrom = export.Range.From, RangeTo = export.Range.To, Format = export.Format,
            Status = export.Status, CreatedAt = now, CreatedDay = DateOnly.FromDateTime(now.UtcDateTime), UpdatedAt = now,
        });
        var delivery = new ExportDelivery { ExportId = export.Id, DestinationId = destination.Id, Status = DeliveryStatus.Pending, CreatedAt = now, UpdatedAt = now, NextAttemptAt = now };
        db.ExportDeliveries.Add(delivery);
        await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
        return (export, delivery.Id);
    }

    private void AddDetails(ExportSummary summary) => Service.Details[summary.Id] = new ExportDetails(summary, null, null, null, [], []);

    private IRenderedComponent<ExportPage> RenderPage(Guid id)
    {
        Render<MudBlazor.MudPopoverProvider>();
        return Render<ExportPage>(p => p.Add(c => c.Id, id));
    }

    private async Task ChangeDeliveryAsync(long id, Action<ExportDelivery> change)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken);
        change(await db.ExportDeliveries.SingleAsync(d => d.Id == id, Xunit.TestContext.Current.CancellationToken));
        await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task ADeliveryRowFollowsItsChangesLiveWithoutAReload()
    {
        var (export, deliveryId) = await ExportDeliveredToAsync("Team storage");
        var page = RenderPage(export.Id);
        var row = page.WaitForElement("[data-testid=delivery-status]", Wait);
        Assert.Equal("Pending", row.GetAttribute("data-status"));
        Assert.Contains("Team storage", row.TextContent, StringComparison.Ordinal);

        await ChangeDeliveryAsync(deliveryId, d =>
        {
            d.Status = DeliveryStatus.Delivered;
            d.DeliveredAt = Clock.GetUtcNow();
            d.Files = DeliveryFiles.Write([new DeliveryFileEntry("part-00000.csv", $"csv/2026-11-27/{export.Id}-1.csv", 4096)]);
        });
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.Completed, ExportStatus.Completed, Clock.GetUtcNow(), null, null, 1,
            DeliveryId: deliveryId, Delivery: DeliveryStatus.Delivered), Xunit.TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Equal("Delivered", page.Find("[data-testid=delivery-status]").GetAttribute("data-status")), Wait);
        Assert.Contains($"csv/2026-11-27/{export.Id}-1.csv (4 KB)", page.Find("[data-testid=delivered-file]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailedDeliverySaysWhy()
    {
        var (export, deliveryId) = await ExportDeliveredToAsync("Partner SFTP");
        await ChangeDeliveryAsync(deliveryId, d => (d.Status, d.Error, d.Attempts) = (DeliveryStatus.Failed, "The destination was deleted.", 1));

        var page = RenderPage(export.Id);

        page.WaitForAssertion(() => Assert.Equal("The destination was deleted.", page.Find("[data-testid=delivery-error]").TextContent.Trim()), Wait);
        Assert.Equal("Failed", page.Find("[data-testid=delivery-status]").GetAttribute("data-status"));
    }

    [Fact]
    public void ADeliverysTimelineEntryIsNamedADeliveryNotADownload()
    {
        var export = AddExport(ExportStatus.Completed);
        Service.Details[export.Id] = new ExportDetails(export, null, null, null, [],
            [new ExportEventInfo(Clock.GetUtcNow(), ExportStatus.Completed, ExportStatus.Completed, ExportProgress.DeliveryActor, "Delivered to Team storage: 1 file, 4,096 bytes.")]);

        var page = RenderPage(export.Id);

        var entry = page.WaitForElement("[data-testid=timeline-entry]", Wait).TextContent;
        Assert.Contains("Delivery", entry, StringComparison.Ordinal);
        Assert.Contains("Delivered to Team storage", entry, StringComparison.Ordinal);
        Assert.DoesNotContain("Downloaded", entry, StringComparison.Ordinal);
    }

    [Fact]
    public void AnExportWithoutDeliveriesShowsNoDeliveriesSection()
    {
        var export = AddExport(ExportStatus.Completed);
        AddDetails(export);

        var page = RenderPage(export.Id);

        page.WaitForElement("[data-testid=export-status]", Wait);
        Assert.Empty(page.FindAll("[data-testid=deliveries]"));
    }
}
