using Bunit;
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
}
