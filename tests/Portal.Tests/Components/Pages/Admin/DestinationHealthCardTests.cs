using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Pages.Admin;
using Portal.Data;

namespace Portal.Tests.Components.Pages.Admin;

/// <summary>The dashboard's failing destinations, from the real delivery query.</summary>
public class DestinationHealthCardTests : ExportTestContext
{
    [Fact]
    public async Task TheDashboardListsFailingDestinationsWithTheirOwnerAndLastErrorAndTheDaysCounts()
    {
        var failing = await AddDestinationAsync("Partner SFTP");
        var working = await AddDestinationAsync("Team storage");
        var now = Clock.GetUtcNow();
        await using (var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken))
        {
            foreach (var (destination, status, error) in new[]
            {
                (failing.Id, DeliveryStatus.Failed, "The SFTP server refused the password of user portal."),
                (failing.Id, DeliveryStatus.Pending, "The SFTP server did not answer within 30 s."),
                (working.Id, DeliveryStatus.Delivered, (string?)null),
            })
            {
                var export = Guid.NewGuid();
                db.ExportRequests.Add(new ExportRequest
                {
                    Id = export, OwnerId = UserId, OwnerName = UserName, RangeFrom = now.AddHours(-2), RangeTo = now.AddHours(-1), Format = FileFormat.Csv,
                    Status = Kernel.ExportStatus.Completed, CreatedAt = now, CreatedDay = DateOnly.FromDateTime(now.UtcDateTime), UpdatedAt = now,
                });
                db.ExportDeliveries.Add(new ExportDelivery
                {
                    ExportId = export, DestinationId = destination, Status = status, Error = error, Attempts = 1, CreatedAt = now.AddMinutes(-10),
                    UpdatedAt = error is null ? now.AddMinutes(-5) : now.AddMinutes(error.Contains("password", StringComparison.Ordinal) ? -9 : -2),
                    DeliveredAt = status == DeliveryStatus.Delivered ? now.AddMinutes(-5) : null,
                });
            }
            await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
        }
        Service.Statistics = new([], [], [], new Dictionary<Kernel.ExportStatus, int>(), new Portal.Upstream.UpstreamHealth(null, null, 0, 0, 60));
        SignInAs("admin-1", "Ann Admin", admin: true);
        Render<MudPopoverProvider>();

        var page = Render<Dashboard>();

        var card = page.WaitForElement("[data-testid=destination-health] [data-testid=destinations-failing]", TimeSpan.FromSeconds(10)).Closest("[data-testid=destination-health]")!;
        Assert.Equal("1", card.QuerySelector("[data-testid=destinations-failing]")!.TextContent.Trim());
        Assert.Equal("1", card.QuerySelector("[data-testid=deliveries-delivered]")!.TextContent.Trim());
        Assert.Equal("1", card.QuerySelector("[data-testid=deliveries-failed]")!.TextContent.Trim());
        var row = Assert.Single(card.QuerySelectorAll("[data-testid=failing-destination]"));
        Assert.Equal(failing.Id.ToString(), row.GetAttribute("data-destination-id"));
        Assert.Contains("Partner SFTP", row.TextContent, StringComparison.Ordinal);
        Assert.Contains(UserName, row.TextContent, StringComparison.Ordinal);
        Assert.Contains("The SFTP server did not answer within 30 s.", row.TextContent, StringComparison.Ordinal);
    }
}
