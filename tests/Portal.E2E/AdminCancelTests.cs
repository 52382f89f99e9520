namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class AdminCancelTests(PortalServer server)
{
    [Fact]
    public async Task AnAdminCancelsAUsersExportWithAReasonAndTheOwnersBellSaysWhoAndWhy()
    {
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        try
        {
            await using var owner = await server.NewSessionAsync();
            await owner.SignInAsync("Cancel Case Owner");
            await using var admin = await server.NewSessionAsync();
            await admin.SignInAsync("Ada Admin", admin: true, returnUrl: "/admin");

            var id = await owner.SubmitLastHourAsync();
            await owner.ExpectStatusAsync("InProgress");

            await admin.GoToAsync($"exports/{id}");
            await Expect(admin.Page.GetByTestId("timeline")).ToContainTextAsync("Submitted");
            await admin.Page.GetByTestId("cancel-export").ClickAsync();
            var dialog = admin.Page.GetByRole(AriaRole.Dialog);
            await Expect(dialog).ToContainTextAsync("Cancel Case Owner's export?");
            await Expect(dialog.GetByTestId("cancel-owner")).ToContainTextAsync("belongs to Cancel Case Owner");
            var reason = dialog.GetByLabel("Reason (optional)");
            await reason.ClickAsync();
            await reason.PressSequentiallyAsync("Wrong device group, please re-run for fleet B.");
            await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel export" }).ClickAsync();
            await admin.ExpectStatusAsync("Cancelled");
            await Expect(admin.Page.GetByTestId("timeline")).ToContainTextAsync("Cancelled by Ada Admin. Reason: Wrong device group, please re-run for fleet B.");

            await owner.ExpectStatusAsync("Cancelled");
            await Expect(owner.Page.GetByTestId("timeline")).ToContainTextAsync("Reason: Wrong device group, please re-run for fleet B.");
            await owner.GoToAsync("");
            var bell = owner.Page.GetByTestId("notification-bell").GetByRole(AriaRole.Button);
            await Expect(bell).ToHaveAttributeAsync("aria-label", "Notifications, 1 unread");
            await bell.ClickAsync();
            var notice = owner.Page.GetByTestId("notice");
            await Expect(notice).ToHaveCountAsync(1);
            await Expect(notice).ToHaveAttributeAsync("href", $"exports/{id}");
            await Expect(notice).ToContainTextAsync("was cancelled by Ada Admin. Reason: Wrong device group, please re-run for fleet B.");

            owner.AssertNoConsoleErrors();
            admin.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
