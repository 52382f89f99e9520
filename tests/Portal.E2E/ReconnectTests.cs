namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class ReconnectTests(PortalServer server)
{
    [Fact]
    public async Task ADroppedConnectionReconnectsAndShowsTheChangeMadeMeanwhile()
    {
        // The request stays open until someone cancels it, so the only change is the one made while offline.
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Flaky Network");
            var id = await user.SubmitLastHourAsync();
            await user.ExpectStatusAsync("InProgress");

            // Offline first, so the browser's own reconnect attempts fail until the network is back.
            await user.Context.SetOfflineAsync(true);
            await user.Page.EvaluateAsync("() => Blazor._internal.forceCloseConnection()");
            var modal = user.Page.Locator("#components-reconnect-modal");
            await Expect(modal).ToBeVisibleAsync();

            await using var admin = await server.NewSessionAsync();
            await admin.SignInAsync("Ada Reconnect", admin: true, returnUrl: $"/exports/{id}");
            await admin.Page.GetByTestId("cancel-export").ClickAsync();
            await admin.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel export" }).ClickAsync();
            await admin.ExpectStatusAsync("Cancelled");

            // Still disconnected: the page cannot know yet.
            await Expect(modal).ToBeVisibleAsync();
            await user.ExpectStatusAsync("InProgress", 100);

            await user.Context.SetOfflineAsync(false);
            await Expect(modal).ToBeHiddenAsync();
            await user.ExpectStatusAsync("Cancelled");
            // No console check for the user: the browser rightly logs the dropped connection.
            admin.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
