using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Layout;

namespace Portal.Tests.Components.Layout;

public class NavMenuTests : ExportTestContext
{
    [Fact]
    public void UsersSeeTheirExportsButNotTheAdminSection()
    {
        var menu = Render<NavMenu>();

        Assert.Equal("exports/new", menu.Find("[data-testid=nav-new-export]").GetAttribute("href"));
        Assert.Equal("exports", menu.Find("[data-testid=nav-my-exports]").GetAttribute("href"));
        Assert.Empty(menu.FindAll("[data-testid=nav-admin]"));
        Assert.DoesNotContain("admin/exports", menu.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void AdminsSeeTheAdminSection()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);

        var menu = Render<NavMenu>();

        Assert.Contains("href=\"admin/exports\"", menu.Markup, StringComparison.Ordinal);
        Assert.Contains("href=\"admin\"", menu.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void AnonymousVisitorsSeeOnlyHome()
    {
        Authorization.SetNotAuthorized();

        var menu = Render<NavMenu>();

        Assert.Empty(menu.FindAll("[data-testid=nav-my-exports]"));
        Assert.Empty(menu.FindAll("[data-testid=nav-admin]"));
    }

    [Theory]
    [InlineData("exports", "nav-my-exports")]
    [InlineData("exports/new", "nav-new-export")]
    [InlineData("schedules/3f6c9a54-0a8e-4d2e-9e0b-5c1d2f3a4b5c", "nav-schedules")]
    [InlineData("account/tokens?page=2", "nav-tokens")]
    public void TheLinkOfTheCurrentPageIsMarkedAndFollowsNavigation(string path, string current)
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var menu = Render<NavMenu>();

        navigation.NavigateTo(path);

        menu.WaitForAssertion(() => Assert.Equal([current], menu.FindAll("a.active").Select(a => a.GetAttribute("data-testid"))));
        Assert.Equal("page", menu.Find($"[data-testid={current}]").GetAttribute("aria-current"));
        Assert.Single(menu.FindAll("[aria-current]"));
    }

    [Fact]
    public void TheLinksAreNoComponentsOfTheirOwn()
    {
        var menu = Render<NavMenu>();

        // Every open page holds this menu: each link as a component (with its NavLink and MudIcon) cost a circuit about 4.5 KB.
        Assert.Equal(8, menu.FindAll("a.mud-nav-link").Count);
        Assert.Equal(8, menu.FindAll("a.mud-nav-link svg.mud-nav-link-icon").Count);
        Assert.True(menu.FindComponents<IComponent>().Count <= 3, $"{menu.FindComponents<IComponent>().Count} components");
    }
}
