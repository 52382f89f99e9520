using Bunit;
using Microsoft.AspNetCore.Components;
using Portal.Components.Layout;

namespace Portal.Tests.Components.Layout;

public class MainLayoutTests : PortalTestContext
{
    public MainLayoutTests() => SetRendererInfo(new RendererInfo("Server", isInteractive: true));

    [Fact]
    public void ShowsTheEnvironmentBannerWhenConfigured()
    {
        PortalOptions.EnvironmentBanner = "Staging";

        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

        Assert.Equal("Staging", layout.Find("[data-testid=environment-banner]").TextContent.Trim());
        Assert.Contains("page body", layout.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void HidesTheEnvironmentBannerWhenEmpty()
    {
        var layout = Render<MainLayout>();

        Assert.Empty(layout.FindAll("[data-testid=environment-banner]"));
    }

    [Fact]
    public void DarkModeToggleSwitchesTheTheme()
    {
        var layout = Render<MainLayout>();
        var toggle = () => layout.Find("[data-testid=dark-mode-toggle]");
        Assert.Equal("Toggle dark mode", toggle().GetAttribute("aria-label"));
        var lightIcon = toggle().InnerHtml;

        toggle().Click();

        Assert.NotEqual(lightIcon, toggle().InnerHtml);
    }
}
