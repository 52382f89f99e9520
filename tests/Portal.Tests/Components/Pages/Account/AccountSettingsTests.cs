using System.Security.Claims;
using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Portal.Components.Pages.Account;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications.Email;
using Portal.Security;

namespace Portal.Tests.Components.Pages.Account;

/// <summary>The settings page over a real store on a migrated SQLite file.</summary>
public class AccountSettingsTests : ExportTestContext
{
    private readonly string directory = Directory.CreateTempSubdirectory("portal-settings-").FullName;
    private readonly UserSettingsStore store;

    public AccountSettingsTests()
    {
        var factory = new PooledDbContextFactory<PortalDbContext>(new DbContextOptionsBuilder<PortalDbContext>()
            .UseSqlite($"Data Source={Path.Combine(directory, "portal.db")}").Options);
        using (var db = factory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        store = new UserSettingsStore(factory, Clock);
        UserSettings = store;
        Authorization.SetClaims(new Claim(ClaimTypes.NameIdentifier, UserId), new Claim(ClaimTypes.Email, "ada.user@example.test"));
    }

    private static ExportUser User => new(UserId, UserName, "ada.user@example.test", IsAdmin: false);

    [Fact]
    public async Task TurningOnEmailForEveryExportAndSavingStoresItWithTheSignInsAddress()
    {
        var page = Render<AccountSettings>();
        page.WaitForElement("input[data-testid=email-exports]");
        Assert.False(page.Find("input[data-testid=email-exports]").HasAttribute("checked"));
        Assert.True(page.Find("input[data-testid=email-slow-exports]").HasAttribute("checked"));

        page.Find("input[data-testid=email-exports]").Change(true);
        page.Find("button[data-testid=save-settings]").Click();
        page.WaitForElement("[data-testid=settings-saved]");

        var saved = await store.GetAsync(User with { Email = null }, Xunit.TestContext.Current.CancellationToken);
        Assert.Equal(new EmailSettings(ExportEmails.Always, true, "ada.user@example.test"), saved);
        Assert.Contains("ada.user@example.test", page.Find("[data-testid=email-address]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TurningOffBothExportSwitchesSavesOff()
    {
        await store.SaveAsync(User, ExportEmails.Always, schedules: true, Xunit.TestContext.Current.CancellationToken);
        var page = Render<AccountSettings>();
        page.WaitForElement("input[data-testid=email-exports]");

        page.Find("input[data-testid=email-exports]").Change(false);
        page.Find("input[data-testid=email-slow-exports]").Change(false);
        page.Find("input[data-testid=email-schedules]").Change(false);
        page.Find("button[data-testid=save-settings]").Click();
        page.WaitForElement("[data-testid=settings-saved]");

        Assert.Equal(new EmailSettings(ExportEmails.Off, false, "ada.user@example.test"), await store.GetAsync(User, Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public void WithoutAMailServerThePageSaysNothingIsSentAndPointsDevelopersToTheMailPage()
    {
        var page = Render<AccountSettings>();

        Assert.Contains("sends no email", page.Find("[data-testid=email-not-configured]").TextContent, StringComparison.Ordinal);
        Assert.Equal("dev/mail", page.Find("[data-testid=dev-mail-link]").GetAttribute("href"));
    }

    [Fact]
    public void WithoutAMailServerAUserIsToldToAskTheAdministratorAndSeesNoSettingName()
    {
        var page = Render<AccountSettings>();

        var banner = page.Find("[data-testid=email-not-configured]").TextContent;
        Assert.Contains("Email is not set up on this portal", banner, StringComparison.Ordinal);
        Assert.Contains("ask your administrator", banner, StringComparison.Ordinal);
        Assert.DoesNotContain("Notifications:Email", banner, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=email-setting-key]"));
    }

    [Fact]
    public void WithoutAMailServerAnAdminSeesWhichSettingTurnsEmailOn()
    {
        Authorization.SetPolicies(PortalAuthorizationOptions.AdminPolicy);

        var page = Render<AccountSettings>();

        Assert.Equal("Notifications:Email:Host", page.Find("[data-testid=email-not-configured] [data-testid=email-setting-key]").TextContent);
    }

    [Fact]
    public void WithAMailServerThePageDoesNotWarn()
    {
        EmailOptions.Host = "smtp.example.test";

        var page = Render<AccountSettings>();

        Assert.Empty(page.FindAll("[data-testid=email-not-configured]"));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
