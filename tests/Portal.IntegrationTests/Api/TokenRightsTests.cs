using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Downloads;
using Portal.IntegrationTests.Security;
using Portal.Security;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>
/// A personal access token acts as its owner as the portal knows them now: admin only while the owner's latest sign-in
/// carried the role, refused once the owner stopped signing in or an admin revoked all their tokens.
/// </summary>
public class TokenRightsTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnAdminsTokenLosesAdminWhenItsOwnerSignsInWithoutTheRole()
    {
        var alice = User("Alice Rights");
        var aliceExport = await portal.CompletedExportAsync(alice);
        const string name = "Eve Former Admin";
        using var browser = portal.CreateClient();
        await browser.SignInAsync(name, admin: true);
        var eve = new ExportUser(DevelopmentUserStore.IdFor(name), name, null, IsAdmin: true);
        // As the tokens page creates it, in Eve's admin session.
        using var api = portal.ApiClient(await portal.TokenForAsync(eve));
        using (var asAdmin = await api.GetAsync($"{ExportsPath}?all_users=true&page_size=100", Cancellation))
        {
            Assert.Contains(aliceExport, Ids(await JsonAsync(asAdmin)));
        }

        await browser.SignInAsync(name, admin: false);
        using var list = await api.GetAsync($"{ExportsPath}?all_users=true&page_size=100", Cancellation);
        using var read = await api.GetAsync($"{ExportsPath}/{aliceExport}", Cancellation);
        using var download = await api.GetAsync($"{ExportsPath}/{aliceExport}/files/0", Cancellation);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.DoesNotContain(aliceExport, Ids(await JsonAsync(list)));
        await ProblemAsync(read, 404);
        await ProblemAsync(download, 404);
    }

    [Fact]
    public async Task ASignInWithTheRoleAgainGivesTheTokenItsAdminRightBack()
    {
        var bob = User("Bob Rights");
        var bobExport = await portal.CompletedExportAsync(bob);
        const string name = "Ann Returning Admin";
        using var browser = portal.CreateClient();
        await browser.SignInAsync(name, admin: true);
        using var api = portal.ApiClient(await portal.TokenForAsync(new ExportUser(DevelopmentUserStore.IdFor(name), name, null, IsAdmin: true)));
        await browser.SignInAsync(name, admin: false);
        using var demoted = await api.GetAsync($"{ExportsPath}/{bobExport}", Cancellation);

        await browser.SignInAsync(name, admin: true);
        using var restored = await api.GetAsync($"{ExportsPath}/{bobExport}", Cancellation);

        await ProblemAsync(demoted, 404);
        Assert.Equal(HttpStatusCode.OK, restored.StatusCode);
    }

    [Fact]
    public async Task ATokenOfAnOwnerIdlePastTheLimitIsRefusedAndTheReasonAudited()
    {
        var owner = User("Idle Owner");
        var token = await portal.TokenForAsync(owner);
        using var api = portal.ApiClient(token);
        using var before = await api.GetAsync(ExportsPath, Cancellation);
        await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            var lastSignIn = DateTimeOffset.UtcNow.AddDays(-31);
            Assert.Equal(1, await db.PortalUsers.Where(u => u.Id == owner.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.LastSignInAt, lastSignIn), Cancellation));
        }

        using var idle = await api.GetAsync(ExportsPath, Cancellation);
        await portal.Services.GetRequiredService<PortalUsers>().RecordSignInAsync(owner, Cancellation);
        using var back = await api.GetAsync(ExportsPath, Cancellation);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var problem = await ProblemAsync(idle, 401);
        Assert.Contains("has not signed in to the portal for 30 days", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(portal.Logs.Entries, e => e.Contains(
            $"Audit: an API request with access token {token[..12]}… of {owner.Id} was refused: The access token's owner has not signed in", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
    }

    [Fact]
    public async Task ATokenOfAnOwnerThePortalHasNeverSeenSignInIsRefused()
    {
        var owner = User("Never Seen");
        var token = await portal.TokenForAsync(owner);
        await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            await db.PortalUsers.Where(u => u.Id == owner.Id).ExecuteDeleteAsync(Cancellation);
        }
        using var api = portal.ApiClient(token);

        using var response = await api.GetAsync(ExportsPath, Cancellation);

        var problem = await ProblemAsync(response, 401);
        Assert.Contains("has not signed in", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminRevokesEveryTokenOfAUserAtOnce()
    {
        var owner = User("Many Tokens");
        using var first = portal.ApiClient(await portal.TokenForAsync(owner));
        using var second = portal.ApiClient(await portal.TokenForAsync(owner));
        var other = User("Bystander");
        using var bystander = portal.ApiClient(await portal.TokenForAsync(other));
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var admin = User("Root Revoker", admin: true);

        Assert.Null(await tokens.RevokeAllAsync(User("Mallory Revoker"), owner.Id, Cancellation));
        using var stillWorks = await first.GetAsync(ExportsPath, Cancellation);
        Assert.Equal(2, await tokens.RevokeAllAsync(admin, owner.Id, Cancellation));
        using var a = await first.GetAsync(ExportsPath, Cancellation);
        using var b = await second.GetAsync(ExportsPath, Cancellation);
        using var c = await bystander.GetAsync(ExportsPath, Cancellation);
        using var fresh = portal.ApiClient(await portal.TokenForAsync(owner));
        using var d = await fresh.GetAsync(ExportsPath, Cancellation);

        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
        Assert.Contains("revoked", (await ProblemAsync(a, 401)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAsync(b, 401);
        Assert.Equal(HttpStatusCode.OK, c.StatusCode);
        Assert.Equal(HttpStatusCode.OK, d.StatusCode);
        Assert.All((await tokens.ListAsync(owner, cancellationToken: Cancellation)).Where(t => t.RevokedAt is not null),
            t => Assert.Equal(admin.Name, t.RevokedBy));
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: admin {admin.Id} revoked all access tokens of {owner.Id} (2 active)", StringComparison.Ordinal));
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: mallory revoker-oid was denied revoke all access tokens of {owner.Id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATokenWithAdminRightsLivesAtMostTheAdminLimit()
    {
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var admin = User("Capped Admin", admin: true);
        var user = User("Uncapped User");
        var in31Days = DateTimeOffset.UtcNow.AddDays(31);

        var refused = await tokens.CreateAsync(admin, "too long", in31Days, Cancellation);
        var allowed = await tokens.CreateAsync(admin, "short", DateTimeOffset.UtcNow.AddDays(29), Cancellation);
        var plain = await tokens.CreateAsync(user, "long", in31Days, Cancellation);

        Assert.Null(refused.Token);
        Assert.Equal("A token with admin rights may live at most 30 days (Api:AdminTokenMaxLifetimeDays).", refused.Error);
        Assert.Null(allowed.Error);
        Assert.Null(plain.Error);
        Assert.Equal(TimeSpan.FromDays(30), tokens.MaxLifetimeFor(isAdmin: true));
        Assert.Equal(TimeSpan.FromDays(365), tokens.MaxLifetimeFor(isAdmin: false));
    }

    [Fact]
    public async Task ACheckedTokenCostsOneQueryForTokenAndOwnerTogether()
    {
        var owner = User("One Query");
        using var api = portal.ApiClient(await portal.TokenForAsync(owner));
        // The first use also records when the token was last used (at most once a minute).
        using (var first = await api.GetAsync(ExportsPath, Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var before = TokenQueries().Count;

        using var second = await api.GetAsync(ExportsPath, Cancellation);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var query = Assert.Single(TokenQueries().Skip(before));
        Assert.Contains("JOIN \"PortalUsers\"", query, StringComparison.Ordinal);
    }

    private List<string> TokenQueries() =>
        [.. portal.Logs.Entries.Where(e => e.Contains("Microsoft.EntityFrameworkCore.Database.Command ", StringComparison.Ordinal)
            && e.Contains("Executed DbCommand", StringComparison.Ordinal)
            && e.Contains("FROM \"AccessTokens\"", StringComparison.Ordinal))];

    private static List<Guid> Ids(System.Text.Json.JsonElement page) =>
        [.. page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid())];
}
