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

    [Fact]
    public void OnAPhoneTheEnvironmentBannerIsAnIconThatSaysTheSame()
    {
        PortalOptions.EnvironmentBanner = "Development";

        var layout = Render<MainLayout>();

        Assert.Contains("d-none", layout.Find("[data-testid=environment-banner]").ClassList);
        Assert.Contains("d-sm-flex", layout.Find("[data-testid=environment-banner]").ClassList);
        var icon = layout.Find("[data-testid=environment-banner-icon]");
        Assert.Equal("Development", icon.GetAttribute("aria-label"));
        Assert.Contains("d-sm-none", icon.Closest("span.d-sm-none")!.ClassList);
    }

    [Fact]
    public void ThePageSitsInTheOneMainLandmark()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddMarkupContent(0, "<h1>Page</h1>"))));

        var main = Assert.Single(layout.FindAll("main"));
        Assert.NotNull(main.QuerySelector("h1"));
        Assert.Null(layout.Find("header").Closest("main"));
    }

    [Fact]
    public void APageThatIsNeverInteractiveDoesNotSayItIsConnecting()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        var layout = Render<MainLayout>();

        Assert.Empty(layout.FindAll("[data-testid=connecting]"));
    }

    [Fact]
    public void TheThemeChoiceIsRemembered()
    {
        var script = JSInterop.SetupModule("./js/theme.js");
        script.SetupVoid("remember", _ => true);
        var layout = Render<MainLayout>();

        layout.Find("[data-testid=dark-mode-toggle]").Click();
        layout.Find("[data-testid=dark-mode-toggle]").Click();

        Assert.Equal([["portal-theme", "dark"], ["portal-theme", "light"]],
            script.Invocations["remember"].Select(i => i.Arguments.Select(a => a?.ToString()).ToArray()));
    }
}
