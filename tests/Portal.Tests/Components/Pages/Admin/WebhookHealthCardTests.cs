using Bunit;
using MudBlazor;
using Portal.Components.Pages.Admin;
using Portal.Webhooks;

namespace Portal.Tests.Components.Pages.Admin;

public class WebhookHealthCardTests : ExportTestContext
{
    [Fact]
    public void TheDashboardShowsFailingAndDisabledEndpointsAndTheDaysDeliveries()
    {
        Service.Statistics = new(
            [], [], [], new Dictionary<Portal.Kernel.ExportStatus, int>(),
            new Portal.Upstream.UpstreamHealth(null, null, 0, 0, 60));
        WebhookHealth.Health = new WebhookHealth(ActiveEndpoints: 5, FailingEndpoints: 2, DisabledEndpoints: 1, DeliveredLastDay: 40, FailedAttemptsLastDay: 9, GivenUpLastDay: 3);
        SignInAs("admin-1", "Ann Admin", admin: true);
        Render<MudPopoverProvider>();

        var page = Render<Dashboard>();

        var card = page.Find("[data-testid=webhook-health]");
        Assert.Equal("2", card.QuerySelector("[data-testid=webhooks-failing]")!.TextContent.Trim());
        Assert.Equal("1", card.QuerySelector("[data-testid=webhooks-disabled]")!.TextContent.Trim());
        Assert.Equal("5", card.QuerySelector("[data-testid=webhooks-active]")!.TextContent.Trim());
        Assert.Equal("40", card.QuerySelector("[data-testid=webhooks-delivered]")!.TextContent.Trim());
        Assert.Equal("9", card.QuerySelector("[data-testid=webhooks-failed-attempts]")!.TextContent.Trim());
        Assert.Equal("3", card.QuerySelector("[data-testid=webhooks-given-up]")!.TextContent.Trim());
    }
}
