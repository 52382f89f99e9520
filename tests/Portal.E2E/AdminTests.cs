namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class AdminTests(PortalServer server)
{
    [Fact]
    public async Task AdminSeesEveryonesExportsAndCancelsOneTheOwnerSeesCancelledLive()
    {
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        try
        {
            // Everyone signs in first: the open request must not reach the portal's time limit before the admin acts.
            await using var first = await server.NewSessionAsync();
            await first.SignInAsync("Admin Case First");
            await using var second = await server.NewSessionAsync();
            await second.SignInAsync("Admin Case Second");
            await using var admin = await server.NewSessionAsync();
            await admin.SignInAsync("Ada Admin", admin: true, returnUrl: "/admin");

            var firstId = await first.SubmitLastHourAsync();
            await first.ExpectStatusAsync("InProgress");
            var secondId = await second.SubmitLastHourAsync("JSON");

            await admin.GoToAsync("admin/exports");
            await Expect(admin.Page.Locator($"[data-testid=export-row][data-export-id='{firstId}']")).ToBeVisibleAsync();
            await Expect(admin.Page.Locator($"[data-testid=export-row][data-export-id='{secondId}']")).ToBeVisibleAsync();

            await admin.GoToAsync($"exports/{firstId}");
            await Expect(admin.Page.GetByTestId("timeline")).ToContainTextAsync("Submitted");
            await admin.Page.GetByTestId("cancel-export").ClickAsync();
            await admin.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel export" }).ClickAsync();
            await admin.ExpectStatusAsync("Cancelled");

            await first.ExpectStatusAsync("Cancelled");
            await Expect(first.Page.GetByTestId("timeline")).ToContainTextAsync("Ada Admin");

            first.AssertNoConsoleErrors();
            admin.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
