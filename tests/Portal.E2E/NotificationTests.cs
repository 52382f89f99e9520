namespace Portal.E2E;

[Collection(BrowserCollection.Name)]
public class NotificationTests(PortalServer server)
{
    [Fact]
    public async Task CompletionOnAnotherPageShowsASnackbarWithALinkAndTheBellKeepsIt()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Notice Reader");
        var id = await user.SubmitLastHourAsync();

        await user.GoToAsync("");
        var snackbar = user.Page.Locator(".mud-snackbar").Filter(new() { HasText = "completed" });
        await Expect(snackbar).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(snackbar.Locator($"a[href$='exports/{id}']")).ToBeVisibleAsync();
        await Expect(user.Page.GetByTestId("notification-count")).ToHaveTextAsync("1");

        await user.Page.GetByTestId("notification-bell").ClickAsync();
        var notice = user.Page.GetByTestId("notice").Filter(new() { HasText = "completed" });
        await Expect(notice).ToHaveCountAsync(1);
        await notice.ClickAsync();
        await user.Page.WaitForURLAsync($"**/exports/{id}");
        await user.ExpectStatusAsync("Completed");

        user.AssertNoConsoleErrors();
    }
}
