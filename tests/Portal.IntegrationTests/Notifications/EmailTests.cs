using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Security;
using Portal.Notifications.Email;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Notifications;

/// <summary>The portal with a simulator upstream and a real SMTP server: what an owner is mailed when an export ends.</summary>
public class EmailTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ACompletedExportSendsExactlyOneEmailToItsOwnerLinkingItsPageWithNoSecretInIt()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var portal = await PortalFactory.StartAsync(settings: smtp.Settings("https://portal.example.test/"));
        var alice = User("Alice");
        await portal.Services.GetRequiredService<UserSettingsStore>().SaveAsync(alice, ExportEmails.Always, schedules: true, Cancellation);

        var id = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Csv, Cancellation));
        var completed = await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var message = Assert.Single(await smtp.WaitForAsync(1));
        await WaitForEmailStateAsync(portal, id, EmailState.Sent);

        Assert.Single(smtp.Messages);
        Assert.Equal("alice@example.test", Assert.Single(message.To.Mailboxes).Address);
        Assert.Equal("exports@example.test", Assert.Single(message.From.Mailboxes).Address);
        Assert.Equal($"Your export \u201c{ExportNames.Default(FileFormat.Csv, Day(), TimeZoneInfo.Utc)}\u201d is ready", message.Subject);
        var body = message.TextBody;
        Assert.Contains($"Open it in the portal: https://portal.example.test/exports/{id}", body, StringComparison.Ordinal);
        Assert.NotEmpty(completed.Files);
        foreach (var file in completed.Files)
        {
            Assert.DoesNotContain(file.Url, body, StringComparison.Ordinal);
            Assert.DoesNotContain(new Uri(file.Url).Host, body, StringComparison.OrdinalIgnoreCase);
        }
        foreach (var secret in new[] { "X-Amz", "signature", "token", "expires=", portal.Simulator.Options.ClientSecret })
        {
            Assert.DoesNotContain(secret, message.ToString(), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task TheDevelopmentSignInStoresTheUsersAddressForTheSender()
    {
        await using var portal = await PortalFactory.StartAsync();
        using var client = portal.CreateClient(new() { AllowAutoRedirect = false });

        await client.SignInAsync("Mail Reader");

        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var settings = await db.UserSettings.SingleAsync(s => s.UserId == "dev-mail-reader", Cancellation);
        Assert.Equal("mail-reader@example.test", settings.Email);
        Assert.Equal(ExportEmails.WhenSlow, settings.ExportEmails);
    }

    private static async Task WaitForEmailStateAsync(PortalFactory portal, Guid exportId, EmailState state) =>
        await Eventually.ReturnsAsync(
            async () =>
            {
                await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
                return await db.EmailMessages.AsNoTracking().SingleOrDefaultAsync(m => m.ExportId == exportId, Cancellation);
            },
            row => row?.State == state,
            $"the email of {exportId} to be {state}",
            lastSeen: row => $"it is {row?.State.ToString() ?? "not planned"}");
}
