using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Api;
using Portal.Data;
using Portal.Security;
using static Portal.IntegrationTests.Api.ApiCalls;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal in Development with <c>Teams:Maintainers</c> naming one development user by email.</summary>
public sealed class TeamsPortalFactory : PortalFactory
{
    public const string MaintainerName = "Mia Maintainer";

    public TeamsPortalFactory()
    {
        // The development sign-in gives "Mia Maintainer" the address mia-maintainer@example.test.
        Settings["Teams:Maintainers:Fleet analytics:0"] = "MIA-MAINTAINER@example.test";
    }
}

/// <summary>
/// Where a user's teams come from at sign-in, and how far they reach: the session keeps its sign-in's teams, a personal
/// access token has those of its owner's latest sign-in.
/// </summary>
public class TeamSignInTests(TeamsPortalFactory portal) : IClassFixture<TeamsPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportUser Dev(string name) => new(DevelopmentUserStore.IdFor(name), name, null, IsAdmin: false);

    private static async Task<List<(string Name, bool Maintainer)>> TeamsAsync(HttpClient api, string path = "/api/v1/teams")
    {
        using var response = await api.GetAsync(path, Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        return [.. body.GetProperty("teams").EnumerateArray().Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("maintainer").GetBoolean()))];
    }

    [Fact]
    public async Task ADevelopmentSignInWithTeamsGivesThemToTheSessionTheUserRowAndTheTokens()
    {
        const string name = "Tia Teams";
        using var browser = portal.CreateClient();

        await browser.SignInAsync(name, teams: " Fleet analytics, Billing ,");

        var home = await browser.GetStringAsync("/", Cancellation);
        Assert.Contains("data-testid=\"user-teams\"", home, StringComparison.Ordinal);
        Assert.Contains("Billing, Fleet analytics</", home, StringComparison.Ordinal);
        await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            var row = await db.PortalUsers.AsNoTracking().SingleAsync(u => u.Id == DevelopmentUserStore.IdFor(name), Cancellation);
            Assert.Equal(["Billing", "Fleet analytics"], TeamRules.Split(row.Teams));
            Assert.Empty(TeamRules.Split(row.MaintainedTeams));
        }
        using var api = portal.ApiClient(await portal.TokenForAsync(Dev(name)));
        Assert.Equal([("Billing", false), ("Fleet analytics", false)], await TeamsAsync(api));
        Assert.Equal([("Billing", false), ("Fleet analytics", false)], await TeamsAsync(api, "/api/v1/me"));
        // The API never takes the session cookie: a page's sign-in cannot be ridden by another site.
        using var withCookie = await browser.GetAsync("/api/v1/teams", Cancellation);
        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
    }

    [Fact]
    public async Task ATokenLosesATeamAtItsOwnersNextSignInWithoutItWhileAnOpenSessionKeepsItsOwn()
    {
        const string name = "Leo Leaving";
        using var firstBrowser = portal.CreateClient();
        await firstBrowser.SignInAsync(name, teams: "Fleet analytics");
        var token = await portal.TokenForAsync(Dev(name));
        using var api = portal.ApiClient(token);
        Assert.Equal([("Fleet analytics", false)], await TeamsAsync(api));
        Assert.Equal(["Fleet analytics"], (await TokenUserAsync(token)).Teams);

        using var secondBrowser = portal.CreateClient();
        await secondBrowser.SignInAsync(name, teams: "Billing");

        Assert.Equal([("Billing", false)], await TeamsAsync(api));
        var user = await TokenUserAsync(token);
        Assert.False(user.IsMemberOf("Fleet analytics"));
        Assert.Equal(["Billing"], user.Teams);
        // The first session keeps the teams of its own sign-in until it ends, as it keeps its roles.
        Assert.Contains(">Fleet analytics</", await firstBrowser.GetStringAsync("/", Cancellation), StringComparison.Ordinal);
        Assert.Contains(">Billing</", await secondBrowser.GetStringAsync("/", Cancellation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TeamsMaintainersMakeADevelopmentUserMaintainerAndMemberByEmail()
    {
        using var browser = portal.CreateClient();

        await browser.SignInAsync(TeamsPortalFactory.MaintainerName, teams: "Billing");

        using var api = portal.ApiClient(await portal.TokenForAsync(Dev(TeamsPortalFactory.MaintainerName)));
        Assert.Equal([("Billing", false), ("Fleet analytics", true)], await TeamsAsync(api));
        Assert.Contains("Billing, Fleet analytics (maintainer)</", await browser.GetStringAsync("/", Cancellation), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Billing, Fleet\r\nanalytics", "line break")]
    [InlineData("Billing, xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "longer than 100 characters")]
    public async Task AnUnusableTeamNameIsAFieldErrorAndSignsNobodyIn(string teams, string reason)
    {
        using var browser = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var page = await browser.GetStringAsync("/account/dev-signin", Cancellation);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "Nia Noteam",
            ["teams"] = teams,
            ["returnUrl"] = "/exports",
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(page),
        });

        using var response = await browser.PostAsync("/account/dev-signin", form, Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain(response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("Portal.Session=", StringComparison.Ordinal));
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith("/account/dev-signin?error=teams", location, StringComparison.Ordinal);
        var again = WebUtility.HtmlDecode(await browser.GetStringAsync(location, Cancellation));
        Assert.Contains("data-testid=\"dev-teams-error\"", again, StringComparison.Ordinal);
        Assert.Contains(reason, again, StringComparison.Ordinal);
        Assert.Contains("value=\"Nia Noteam\"", again, StringComparison.Ordinal);
        Assert.Null(await portal.Services.GetRequiredService<PortalUsers>().FindAsync(DevelopmentUserStore.IdFor("Nia Noteam"), Cancellation));
    }

    [Fact]
    public async Task TheSignInPageHasTheTeamsField()
    {
        using var browser = portal.CreateClient();

        var html = await browser.GetStringAsync("/account/dev-signin", Cancellation);

        Assert.Matches("<input[^>]*name=\"teams\"[^>]*data-testid=\"dev-teams\"", html);
    }

    [Fact]
    public async Task RecordingASignInStoresItsTeamsWithTheMaintainedOnesAsMembers()
    {
        var users = portal.Services.GetRequiredService<PortalUsers>();
        var user = new ExportUser("oid-rec", "Rae Recorded", "rae@example.test", IsAdmin: false)
        {
            Teams = ["Billing"],
            MaintainedTeams = ["Fleet analytics"],
        };

        await users.RecordSignInAsync(user, Cancellation);
        var first = await users.FindAsync(user.Id, Cancellation);
        await users.RecordSignInAsync(user with { Teams = [], MaintainedTeams = [] }, Cancellation);
        var second = await users.FindAsync(user.Id, Cancellation);

        Assert.Equal(["Billing", "Fleet analytics"], TeamRules.Split(first!.Teams));
        Assert.Equal(["Fleet analytics"], TeamRules.Split(first.MaintainedTeams));
        Assert.Empty(TeamRules.Split(second!.Teams));
        Assert.Empty(TeamRules.Split(second.MaintainedTeams));
    }

    /// <summary>The user a request with <paramref name="token"/> acts as, read from the token principal's claims.</summary>
    private async Task<ExportUser> TokenUserAsync(string token)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Headers.Authorization = $"Bearer {token}";
        var result = await context.AuthenticateAsync(AccessTokenAuthenticationHandler.SchemeName);
        Assert.True(result.Succeeded, result.Failure?.Message);
        return ExportUser.FromPrincipal(result.Principal!, scope.ServiceProvider.GetRequiredService<IOptions<PortalAuthorizationOptions>>().Value.AdminRole);
    }
}

/// <summary>An Entra sign-in's groups become the session's teams when the portal accepts the sign-in.</summary>
public class EntraTeamSignInTests
{
    private const string FleetGroup = "0b7c56a1-1f3e-4b6e-9d6a-5e8f6c2d1a01";
    private const string OtherGroup = "5a5a5a5a-0000-4000-8000-00000000beef";

    private static async Task<(ClaimsPrincipal Principal, TokenValidatedContext Context)> ValidateAsync(
        EntraPortalFactory entra, string tenant, params Claim[] claims)
    {
        await using var scope = entra.Services.CreateAsyncScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OpenIdConnectDefaults.AuthenticationScheme);
        var scheme = await scope.ServiceProvider.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(OpenIdConnectDefaults.AuthenticationScheme);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new("tid", tenant), new("oid", "oid-eli"), new("name", "Eli Entra"), new("preferred_username", "eli@example.test"), .. claims],
            "AuthenticationTypes.Federation"));
        var context = new TokenValidatedContext(new DefaultHttpContext { RequestServices = scope.ServiceProvider }, scheme!, options, principal, new AuthenticationProperties());
        await options.Events.OnTokenValidated(context);
        return (principal, context);
    }

    [Fact]
    public async Task TheGroupsOfAnAcceptedSignInBecomeTeamsAndAnOverageBecomesTheNotice()
    {
        await using var entra = new EntraPortalFactory();
        entra.Settings[$"Teams:Groups:{FleetGroup}"] = "Fleet analytics";
        entra.Settings["Teams:Maintainers:Fleet analytics:0"] = "eli@example.test";
        await entra.InitializeAsync();

        var (member, accepted) = await ValidateAsync(entra, EntraPortalFactory.TenantId, new Claim("groups", FleetGroup), new Claim("groups", OtherGroup));
        var (overage, _) = await ValidateAsync(entra, EntraPortalFactory.TenantId, new Claim("_claim_names", """{"groups":"src1"}"""));

        Assert.Null(accepted.Result);
        var user = ExportUser.FromPrincipal(member, "Portal.Admin");
        Assert.Equal(["Fleet analytics"], user.Teams);
        Assert.Equal(["Fleet analytics"], user.MaintainedTeams);
        Assert.False(member.HasClaim(c => c.Type == TeamDirectory.OverageClaim));
        Assert.True(overage.HasClaim(TeamDirectory.OverageClaim, "true"));
        Assert.Single(entra.Logs.Entries, e => e.Contains("group overage", StringComparison.Ordinal) && e.Contains("oid-eli", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnEntraAccessTokenForTheApiHasTheTeamsOfItsOwnGroups()
    {
        await using var entra = new EntraPortalFactory();
        entra.Settings["Api:Scope"] = "Exports.ReadWrite";
        entra.Settings[$"Teams:Groups:{FleetGroup}"] = "Fleet analytics";
        await entra.InitializeAsync();
        await using var scope = entra.Services.CreateAsyncScope();
        var options = scope.ServiceProvider.GetRequiredService<IOptionsMonitor<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions>>().Get(ApiExtensions.EntraBearerScheme);
        var scheme = await scope.ServiceProvider.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(ApiExtensions.EntraBearerScheme);
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [
                new("tid", EntraPortalFactory.TenantId), new("oid", "oid-sam"), new("name", "Sam Script"),
                new("scp", "Exports.ReadWrite"), new("groups", FleetGroup), new("groups", OtherGroup),
            ],
            "AuthenticationTypes.Federation"));
        var context = new Microsoft.AspNetCore.Authentication.JwtBearer.TokenValidatedContext(
            new DefaultHttpContext { RequestServices = scope.ServiceProvider }, scheme!, options)
        {
            Principal = principal,
        };

        await options.Events.OnTokenValidated(context);

        Assert.Null(context.Result);
        Assert.Equal(["Fleet analytics"], ExportUser.FromPrincipal(principal, "Portal.Admin").Teams);
    }

    [Fact]
    public async Task ASignInFromAnotherTenantGetsNoTeams()
    {
        await using var entra = new EntraPortalFactory();
        entra.Settings[$"Teams:Groups:{FleetGroup}"] = "Fleet analytics";
        await entra.InitializeAsync();

        var (principal, refused) = await ValidateAsync(entra, Guid.NewGuid().ToString(), new Claim("groups", FleetGroup));

        Assert.NotNull(refused.Result);
        Assert.False(principal.HasClaim(c => c.Type == ExportUser.TeamClaim));
    }

    [Fact]
    public async Task AMaintainedTeamThatNoGroupMapsToStopsTheStart()
    {
        await using var entra = new EntraPortalFactory();
        entra.Settings[$"Teams:Groups:{FleetGroup}"] = "Fleet analytics";
        entra.Settings["Teams:Maintainers:Fleet analytcs:0"] = "eli@example.test";
        await entra.InitializeAsync();

        var error = Assert.ThrowsAny<Exception>(() => entra.Services);

        Assert.Contains(ProductionWithoutEntraTests.Chain(error), e => e.Message.Contains(
            "Teams:Maintainers:Fleet analytcs names a team that no group in Teams:Groups maps to", StringComparison.Ordinal));
    }
}
