namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class NotificationTests(PortalServer server)
{
    [Fact]
    public async Task CompletionOnAnotherPageShowsASnackbarWithALinkAndTheBellKeepsIt()
    {
        // The upstream is down while the user submits and moves on, so the export can only complete once they are
        // on the other page.
        server.ReconfigureSimulator(o =>
        {
            o.Faults.ServiceUnavailableRate = 1;
            o.Faults.ServiceUnavailableRetryAfterSeconds = 1;
        });
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Notice Reader");
            var id = await user.SubmitLastHourAsync();
            await user.ExpectStatusAsync("Queued");
            await user.GoToAsync("");
            server.ResetSimulator();

            var snackbar = user.Page.Locator(".mud-snackbar").Filter(new() { HasText = "ready to download" });
            await Expect(snackbar).ToBeVisibleAsync();
            var bell = user.Page.GetByTestId("notification-bell").GetByRole(AriaRole.Button);
            await Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread");

            await snackbar.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
            await Expect(user.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/exports/{id}$"));
            await user.ExpectStatusAsync("Completed");

            // The notice outlives the snackbar and a reload.
            await user.GoToAsync("");
            await Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread");
            await bell.ClickAsync();
            var notices = user.Page.GetByTestId("notice");
            await Expect(notices).ToHaveCountAsync(1);
            await Expect(notices).ToHaveAttributeAsync("href", $"exports/{id}");
            await Expect(notices).ToContainTextAsync("is ready");
            await notices.ClickAsync();
            await Expect(user.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/exports/{id}$"));
            await Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications");

            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
