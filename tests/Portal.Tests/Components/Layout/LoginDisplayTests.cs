using Bunit;
using Portal.Components.Layout;
using Portal.Security;

namespace Portal.Tests.Components.Layout;

public class LoginDisplayTests : PortalTestContext
{
    [Fact]
    public void OffersSignInToAnonymousUsers()
    {
        var display = Render<LoginDisplay>();

        var signIn = display.Find("[data-testid=sign-in]");
        Assert.Equal("account/login", signIn.GetAttribute("href"));
        Assert.Empty(display.FindAll("[data-testid=sign-out]"));
    }

    [Fact]
    public void ShowsTheUserTheDevelopmentMarkerAndASignOutForm()
    {
        Authorization.SetAuthorized("Alice Analyst");
        Authorization.SetAuthenticationType(PortalClaims.DevelopmentAuthenticationType);

        var display = Render<LoginDisplay>();

        Assert.Equal("Alice Analyst", display.Find("[data-testid=user-name]").TextContent);
        Assert.Equal("Development sign-in", display.Find("[data-testid=dev-signin-marker]").TextContent.Trim());
        var form = display.Find("form");
        Assert.Equal("post", form.GetAttribute("method"));
        Assert.Equal("account/logout", form.GetAttribute("action"));
        Assert.Empty(display.FindAll("[data-testid=admin-badge]"));
    }

    [Fact]
    public void MarksAdminsAndNotEntraUsersAsDevelopment()
    {
        Authorization.SetAuthorized("Ada Admin");
        Authorization.SetAuthenticationType("AuthenticationTypes.Federation");
        Authorization.SetPolicies(PortalAuthorizationOptions.AdminPolicy);

        var display = Render<LoginDisplay>();

        Assert.Equal("Admin", display.Find("[data-testid=admin-badge]").TextContent.Trim());
        Assert.Empty(display.FindAll("[data-testid=dev-signin-marker]"));
    }

    [Fact]
    public void ShowsTheTeamsOfTheSignInAndWhichTheUserMaintains()
    {
        Authorization.SetAuthorized("Mia Member");
        Authorization.SetClaims(
            new System.Security.Claims.Claim(ExportUser.TeamClaim, "Billing"),
            new System.Security.Claims.Claim(ExportUser.TeamClaim, "Fleet analytics"),
            new System.Security.Claims.Claim(ExportUser.MaintainedTeamClaim, "Fleet analytics"));

        var display = Render<LoginDisplay>();

        Assert.Equal("Billing, Fleet analytics (maintainer)", display.Find("[data-testid=user-teams]").TextContent.Trim());
    }

    [Fact]
    public void ShowsNoTeamsToAUserWithoutTeams()
    {
        Authorization.SetAuthorized("Otto Outsider");

        var display = Render<LoginDisplay>();

        Assert.Empty(display.FindAll("[data-testid=user-teams]"));
    }

    [Fact]
    public void TheOverageNoticeAppearsOnlyForASignInWhoseGroupsWereTooMany()
    {
        Authorization.SetAuthorized("Ola Overage");
        var calm = Render<TeamsOverageNotice>();
        Assert.Empty(calm.FindAll("[data-testid=teams-overage]"));

        Authorization.SetClaims(new System.Security.Claims.Claim(TeamDirectory.OverageClaim, "true"));
        var notice = Render<TeamsOverageNotice>();

        Assert.Contains("groups assigned to the application", notice.Find("[data-testid=teams-overage]").TextContent, StringComparison.Ordinal);
    }
}
