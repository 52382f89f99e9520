using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor;
using Portal.Api;
using Portal.Components.Pages.Account;
using Portal.Components.Shared;
using Portal.Data;
using Portal.Security;

namespace Portal.Tests.Components.Pages.Account;

/// <summary>The tokens page over the real token service and a migrated SQLite file.</summary>
public sealed class AccessTokensPageTests : PortalTestContext, IAsyncLifetime
{
    private const string UserId = "user-1";
    private const string UserName = "Ada User";
    private const string AdminRole = "Portal.Admin";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly string directory = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"));

    public AccessTokensPageTests()
    {
        Directory.CreateDirectory(directory);
        Services.AddDbContextFactory<PortalDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(directory, "portal.db")}"));
        Services.AddSingleton(Options.Create(new ApiOptions()));
        Services.AddSingleton(Options.Create(new PortalAuthorizationOptions { AdminRole = AdminRole }));
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddSingleton<AuditLog>();
        Services.AddSingleton<AccessTokens>();
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        SignInAs(UserId, UserName);
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private void SignInAs(string id, string name, bool admin = false)
    {
        Authorization.SetAuthorized(name);
        if (admin)
        {
            Authorization.SetRoles(AdminRole);
        }
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, id));
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    private AccessTokens Tokens => Services.GetRequiredService<AccessTokens>();

    public async ValueTask InitializeAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync();
        await db.Database.MigrateAsync();
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private IRenderedComponent<AccessTokensPage> RenderPage()
    {
        Render<MudPopoverProvider>();
        var page = Render<AccessTokensPage>();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=tokens-error]")), Wait);
        return page;
    }

    [Fact]
    public async Task CreatesATokenShowsItOnceAndRevokesIt()
    {
        var page = RenderPage();
        page.WaitForElement("[data-testid=no-tokens]", Wait);

        page.Find("[data-testid=new-token]").Click();
        page.Find("input[data-testid=token-name]").Input("nightly-export.sh");
        page.Find("[data-testid=create-token]").Click();

        var secret = page.WaitForElement("[data-testid=token-value]", Wait).TextContent.Trim();
        Assert.StartsWith(AccessTokens.TokenPrefix, secret, StringComparison.Ordinal);
        Assert.IsType<AccessTokenCheck.Valid>(await Tokens.CheckAsync(secret, Cancellation));
        page.WaitForAssertion(() => Assert.Equal("nightly-export.sh", page.Find("[data-testid=token-row-name]").TextContent.Trim()), Wait);

        // Shown once: the page opened again lists the token but never its secret.
        var again = Render<AccessTokensPage>();
        again.WaitForAssertion(() => Assert.Equal("Active", again.Find("[data-testid=token-state]").TextContent.Trim()), Wait);
        Assert.Empty(again.FindAll("[data-testid=token-value]"));
        Assert.DoesNotContain(secret[AccessTokens.TokenPrefix.Length..], again.Markup, StringComparison.Ordinal);

        again.Find("[data-testid=revoke-token]").Click();

        again.WaitForAssertion(() => Assert.StartsWith("Revoked", again.Find("[data-testid=token-state]").TextContent.Trim(), StringComparison.Ordinal), Wait);
        Assert.IsType<AccessTokenCheck.Refused>(await Tokens.CheckAsync(secret, Cancellation));
    }

    [Fact]
    public async Task ATypedExpiryDayMakesTheTokenWorkUntilTheEndOfThatDay()
    {
        var lastDay = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(10);
        var page = RenderPage();

        page.Find("[data-testid=new-token]").Click();
        page.Find("input[data-testid=token-name]").Input("typed-expiry.sh");
        page.Find("input[data-testid=token-expiry]").Change(lastDay.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        page.Find("[data-testid=create-token]").Click();

        page.WaitForElement("[data-testid=token-value]", Wait);
        var token = Assert.Single(await Tokens.ListAsync(new Portal.Kernel.ExportUser(UserId, UserName, null, false), cancellationToken: Cancellation));
        Assert.Equal(new DateTimeOffset(lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), token.ExpiresAt);
    }

    [Theory]
    [InlineData("05.01.2027", "Not a date")]
    [InlineData("2020-01-05", "Choose a day after today.")]
    [InlineData("2099-01-05", "A token works for at most 365 days")]
    public async Task KeepsAnExpiryThatCannotBeUsedAndSaysWhatToFix(string typed, string message)
    {
        var page = RenderPage();
        page.Find("[data-testid=new-token]").Click();
        page.Find("input[data-testid=token-name]").Input("typed-expiry.sh");

        page.Find("input[data-testid=token-expiry]").Change(typed);
        page.Find("[data-testid=create-token]").Click();

        Assert.Equal(typed, page.Find("input[data-testid=token-expiry]").GetAttribute("value"));
        Assert.StartsWith(message, page.Find("input[data-testid=token-expiry]").Closest(".mud-input-control")!.QuerySelector(".mud-input-error .me-auto")!.TextContent.Trim(),
            StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=token-value]"));
        Assert.Empty(await Tokens.ListAsync(new Portal.Kernel.ExportUser(UserId, UserName, null, false), cancellationToken: Cancellation));
    }

    [Fact]
    public async Task ATokenWithoutANameIsNotCreated()
    {
        var page = RenderPage();

        page.Find("[data-testid=new-token]").Click();
        page.Find("[data-testid=create-token]").Click();

        page.WaitForAssertion(() => Assert.Contains("Give the token a name", page.Find("[data-testid=token-error]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Empty(page.FindAll("[data-testid=token-value]"));
        Assert.Empty(await Tokens.ListAsync(new Portal.Kernel.ExportUser(UserId, UserName, null, false), cancellationToken: Cancellation));
    }

    [Fact]
    public async Task AnAdminSeesEveryonesTokensAndRevokesOne()
    {
        var owner = new Portal.Kernel.ExportUser("user-9", "Uma User", null, false);
        var creation = await Tokens.CreateAsync(owner, "uma's script", DateTimeOffset.UtcNow.AddDays(7), Cancellation);
        SignInAs("admin-1", "Ann Admin", admin: true);

        var page = RenderPage();
        var everyone = page.WaitForElement("[data-testid=all-tokens]", Wait);
        Assert.Contains("Uma User", everyone.TextContent, StringComparison.Ordinal);
        page.Find("[data-testid=all-tokens] [data-testid=revoke-token]").Click();

        page.WaitForAssertion(() => Assert.Contains("Revoked by Ann Admin", page.Find("[data-testid=all-tokens] [data-testid=token-state]").TextContent, StringComparison.Ordinal), Wait);
        Assert.IsType<AccessTokenCheck.Refused>(await Tokens.CheckAsync(creation.Secret!, Cancellation));
    }
    [Fact]
    public async Task AnAdminIsToldTheShorterLifetimeAndCannotChooseADayBeyondIt()
    {
        SignInAs("admin-2", "Ari Admin", admin: true);
        var page = RenderPage();

        Assert.Contains("work for at most 30 days", page.Find("[data-testid=admin-token-rules]").TextContent, StringComparison.Ordinal);
        page.Find("[data-testid=new-token]").Click();
        var offered = DateOnly.ParseExact(page.Find("input[data-testid=token-expiry]").GetAttribute("value")!, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        page.Find("input[data-testid=token-name]").Input("admin-script.sh");
        page.Find("input[data-testid=token-expiry]").Change(DateOnly.FromDateTime(DateTime.UtcNow).AddDays(40).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        page.Find("[data-testid=create-token]").Click();

        Assert.True(offered <= DateOnly.FromDateTime(DateTime.UtcNow).AddDays(30), $"the form offered {offered}");
        Assert.StartsWith("A token with admin rights works for at most 30 days",
            page.Find("input[data-testid=token-expiry]").Closest(".mud-input-control")!.QuerySelector(".mud-input-error .me-auto")!.TextContent.Trim(), StringComparison.Ordinal);
        Assert.Empty(await Tokens.ListAsync(new Portal.Kernel.ExportUser("admin-2", "Ari Admin", null, true), cancellationToken: Cancellation));
    }

    [Fact]
    public void APlainUserIsToldTokensNeedTheirSignInsButNotTheAdminCap()
    {
        var page = RenderPage();

        Assert.Contains("after 30 days without a sign-in", page.Find("[data-testid=token-rules]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=admin-token-rules]"));
    }

    [Fact]
    public async Task AnAdminRevokesEveryTokenOfAUserAtOnce()
    {
        var owner = new Portal.Kernel.ExportUser("user-8", "Ulla User", null, false);
        var first = await Tokens.CreateAsync(owner, "first", DateTimeOffset.UtcNow.AddDays(7), Cancellation);
        var second = await Tokens.CreateAsync(owner, "second", DateTimeOffset.UtcNow.AddDays(7), Cancellation);
        SignInAs("admin-1", "Ann Admin", admin: true);
        var dialogs = Render<MudDialogProvider>();
        var page = RenderPage();
        page.WaitForElement("[data-testid=all-tokens]", Wait);

        page.Find("[data-testid=all-tokens] [data-testid=revoke-all-tokens]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Revoke all").Click(), Wait);

        page.WaitForAssertion(() => Assert.All(page.FindAll("[data-testid=all-tokens] [data-testid=token-state]"),
            state => Assert.Equal("Revoked by Ann Admin", state.TextContent.Trim())), Wait);
        Assert.IsType<AccessTokenCheck.Refused>(await Tokens.CheckAsync(first.Secret!, Cancellation));
        Assert.IsType<AccessTokenCheck.Refused>(await Tokens.CheckAsync(second.Secret!, Cancellation));
    }
}
