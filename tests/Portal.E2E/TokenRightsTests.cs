namespace Portal.E2E;

/// <summary>The tokens page as an admin sees it: the shorter lifetime of admin tokens, and revoking all of a user's tokens.</summary>
[Collection(BrowserTestsB.Name)]
public class TokenRightsTests(PortalServer server)
{
    [Fact]
    public async Task AnAdminIsToldTheLimitsAndRevokesEveryTokenOfAUser()
    {
        await using var owner = await server.NewSessionAsync();
        await owner.SignInAsync("Token Holder", returnUrl: "/account/tokens");
        foreach (var name in new[] { "nightly.sh", "hourly.sh" })
        {
            await owner.Page.GetByTestId("new-token").ClickAsync();
            await owner.Page.Locator("input[data-testid=token-name], [data-testid=token-name] input").First.PressSequentiallyAsync(name);
            await owner.Page.GetByTestId("create-token").ClickAsync();
            await Expect(owner.Page.GetByTestId("token-created")).ToContainTextAsync(name);
        }
        await Expect(owner.Page.GetByTestId("token-rules")).ToContainTextAsync("after 30 days without a sign-in");
        await Expect(owner.Page.GetByTestId("admin-token-rules")).ToHaveCountAsync(0);

        await using var admin = await server.NewSessionAsync();
        await admin.SignInAsync("Token Admin", admin: true, returnUrl: "/account/tokens");
        var page = admin.Page;
        await Expect(page.GetByTestId("admin-token-rules")).ToContainTextAsync("work for at most 30 days");
        var holderRows = page.GetByTestId("all-tokens").GetByTestId("token-row").Filter(new() { HasText = "Token Holder" });
        await Expect(holderRows).ToHaveCountAsync(2);
        await admin.ScreenshotAsync("tokens-admin");

        await holderRows.First.GetByTestId("revoke-all-tokens").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("Revoke every token of Token Holder?");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Revoke all" }).ClickAsync();

        await Expect(holderRows.GetByTestId("token-state").First).ToHaveTextAsync("Revoked by Token Admin");
        await Expect(holderRows.GetByTestId("token-state").Last).ToHaveTextAsync("Revoked by Token Admin");
        await Expect(holderRows.GetByTestId("revoke-all-tokens")).ToHaveCountAsync(0);
        await admin.ScreenshotAsync("tokens-admin-revoked-all");
        owner.AssertNoConsoleErrors();
        admin.AssertNoConsoleErrors();
    }
}
