using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api;
using Portal.Data;
using Portal.IntegrationTests.Security;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>Who the API lets in: personal access tokens only, never a revoked or expired one, never the session cookie.</summary>
public class AccessTokenTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARevokedTokenIsRefusedWithAProblem()
    {
        var user = User("Rev");
        var token = await portal.TokenForAsync(user);
        using var client = portal.ApiClient(token);
        using var before = await client.GetAsync(ExportsPath, Cancellation);
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var id = Assert.Single(await tokens.ListAsync(user, cancellationToken: Cancellation)).Id;

        Assert.True(await tokens.RevokeAsync(user, id, Cancellation));
        using var after = await client.GetAsync(ExportsPath, Cancellation);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var problem = await ProblemAsync(after, 401);
        Assert.Contains("revoked", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("invalid_token", after.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: {user.Id} revoked access token {id} of {user.Id}", StringComparison.Ordinal));
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"of {user.Id} was refused: The access token has been revoked.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExpiredTokenIsRefused()
    {
        var user = User("Exp");
        var token = await portal.TokenForAsync(user);
        await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            var expired = DateTimeOffset.UtcNow.AddSeconds(-1);
            await db.AccessTokens.Where(t => t.OwnerId == user.Id).ExecuteUpdateAsync(t => t.SetProperty(x => x.ExpiresAt, expired), Cancellation);
        }
        using var client = portal.ApiClient(token);

        using var response = await client.CreateAsync(Day(2));

        var problem = await ProblemAsync(response, 401);
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await using var check = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        Assert.False(await check.ExportRequests.AnyAsync(e => e.OwnerId == user.Id, Cancellation));
    }

    [Fact]
    public async Task AnUnknownTokenNoTokenAndTheSessionCookieAreRefused()
    {
        using var unknown = portal.ApiClient(AccessTokens.TokenPrefix + new string('x', 43));
        using var none = portal.ApiClient(null);
        // The test sign-in stands in for the session cookie: the pages accept it, the API must not.
        using var signedIn = Downloads.Downloading.ClientFor(portal, User("Cookie"));

        using var a = await unknown.GetAsync(ExportsPath, Cancellation);
        using var b = await none.GetAsync(ExportsPath, Cancellation);
        using var c = await signedIn.GetAsync(ExportsPath, Cancellation);
        using var page = await signedIn.GetAsync("/exports", Cancellation);

        await ProblemAsync(a, 401);
        await ProblemAsync(b, 401);
        Assert.Equal("Bearer", b.Headers.WwwAuthenticate.ToString());
        await ProblemAsync(c, 401);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task ATokenRecordsWhenItWasLastUsed()
    {
        var user = User("Used");
        using var client = await portal.ApiClientForAsync(user);
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        Assert.Null(Assert.Single(await tokens.ListAsync(user, cancellationToken: Cancellation)).LastUsedAt);

        using var response = await client.GetAsync(ExportsPath, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(Assert.Single(await tokens.ListAsync(user, cancellationToken: Cancellation)).LastUsedAt);
    }

    [Fact]
    public async Task OnlyTheHashOfATokenIsStored()
    {
        var user = User("Hash");
        var token = await portal.TokenForAsync(user);

        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var row = await db.AccessTokens.SingleAsync(t => t.OwnerId == user.Id, Cancellation);

        Assert.NotEqual(token, row.Hash);
        Assert.DoesNotContain(token[AccessTokens.TokenPrefix.Length..], row.Hash + row.Prefix + row.Name, StringComparison.Ordinal);
        Assert.StartsWith(row.Prefix, token, StringComparison.Ordinal);
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AUserRevokesOnlyTheirOwnTokensAndAnAdminAnyones()
    {
        var owner = User("Own");
        await portal.TokenForAsync(owner);
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var id = Assert.Single(await tokens.ListAsync(owner, cancellationToken: Cancellation)).Id;
        var admin = User("Root", admin: true);

        Assert.False(await tokens.RevokeAsync(User("Mallory"), id, Cancellation));
        Assert.Contains(await tokens.ListAsync(admin, everyone: true, Cancellation), t => t.Id == id && t.OwnerName == owner.Name);
        Assert.True(await tokens.RevokeAsync(admin, id, Cancellation));

        Assert.Equal(admin.Name, Assert.Single(await tokens.ListAsync(owner, cancellationToken: Cancellation)).RevokedBy);
    }

    [Fact]
    public async Task WithoutEntraIdOnlyPersonalAccessTokensAreSchemesOfTheApi()
    {
        var schemes = portal.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        using var client = portal.ApiClient("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");

        using var response = await client.GetAsync(ExportsPath, Cancellation);

        Assert.Null(await schemes.GetSchemeAsync(ApiExtensions.EntraBearerScheme));
        Assert.NotNull(await schemes.GetSchemeAsync(AccessTokenAuthenticationHandler.SchemeName));
        await ProblemAsync(response, 401);
    }
}
