using Portal.Testing;
using System.Text.RegularExpressions;

namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class EmailTests(PortalServer server)
{
    [Fact]
    public async Task AUserWhoTurnsEmailOnSeesTheMessageOfTheirCompletedExportOnTheDevelopersMailPage()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Mail Reader", returnUrl: "/account/settings");

        // Without a mail server (the fixture has none) the page says so; by default only slow exports are mailed.
        await Expect(user.Page.GetByTestId("email-not-configured")).ToBeVisibleAsync();
        await Expect(user.Page.GetByTestId("email-address")).ToContainTextAsync("mail-reader@example.test");
        var everyExport = user.Page.GetByTestId("email-exports");
        await Expect(everyExport).Not.ToBeCheckedAsync();
        await everyExport.ClickAsync();
        await Expect(everyExport).ToBeCheckedAsync();
        await user.Page.GetByTestId("save-settings").ClickAsync();
        await Expect(user.Page.GetByTestId("settings-saved")).ToBeVisibleAsync();
        await user.AssertAccessibleAsync();

        var id = await user.SubmitLastHourAsync();
        await user.ExpectStatusAsync("Completed", 60_000);

        await user.GoToAsync("dev/mail");
        var message = user.Page.GetByTestId("dev-mail-message").Filter(new() { HasText = id.ToString() });
        // The email is planned when the change is published, a moment after the export's page showed it.
        await Eventually.HoldsAsync(async () =>
        {
            if (await message.CountAsync() > 0)
            {
                return true;
            }
            await user.Page.GetByTestId("dev-mail-refresh").ClickAsync();
            return false;
        }, $"a message about {id} on /dev/mail");
        await Expect(message).ToHaveCountAsync(1);
        await Expect(message.GetByTestId("dev-mail-to")).ToHaveTextAsync("mail-reader@example.test");
        await Expect(message.GetByTestId("dev-mail-subject")).ToHaveTextAsync(new Regex("^Your export \u201cCSV · .+\u201d is ready$"));
        await Expect(message.GetByTestId("dev-mail-body")).ToContainTextAsync("is ready");
        await Expect(message.GetByTestId("dev-mail-link")).ToHaveAttributeAsync("href", new Regex($"/exports/{id}$"));
        await Expect(message.GetByTestId("dev-mail-state")).ToHaveTextAsync("kept, not sent (no mail server)");
        await user.AssertAccessibleAsync();
        user.AssertNoConsoleErrors();
    }
}
