using System.Net;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Layout;
using Portal.Upstream;

namespace Portal.Tests.Components.Layout;

public class UpstreamHealthBannerTests : PortalTestContext
{
    private const string Text = "The device data platform is answering slowly. Your exports are safe; the portal keeps trying.";

    public UpstreamHealthBannerTests() => SetRendererInfo(new RendererInfo("Server", isInteractive: true));

    private UpstreamMonitor Monitor => Services.GetRequiredService<UpstreamMonitor>();

    private void FailRepeatedly()
    {
        for (var i = 0; i < PlatformHealth.FailuresInARow; i++)
        {
            Monitor.RecordError("Upstream answered 503 (Service Unavailable).", HttpStatusCode.ServiceUnavailable);
        }
    }

    [Fact]
    public void AppearsWhileTheUpstreamFailsAndGoesAwayWhenItAnswersAgain()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));
        Assert.Empty(layout.FindAll("[data-testid=upstream-health-banner]"));

        FailRepeatedly();

        layout.WaitForAssertion(() => Assert.Equal(Text, layout.Find("[data-testid=upstream-health-banner]").TextContent.Trim()));
        Assert.Contains("page body", layout.Markup, StringComparison.Ordinal);

        Monitor.RecordSuccess();

        layout.WaitForAssertion(() => Assert.Empty(layout.FindAll("[data-testid=upstream-health-banner]")));
    }

    [Fact]
    public void AppearsWhileTheUpstreamRateLimitsThePortal()
    {
        var banner = Render<UpstreamHealthBanner>();

        Monitor.RecordError("Upstream answered 429 (Too Many Requests).", HttpStatusCode.TooManyRequests);

        banner.WaitForAssertion(() => Assert.Contains("answering slowly", banner.Find("[data-testid=upstream-health-banner]").TextContent, StringComparison.Ordinal));
    }
}
