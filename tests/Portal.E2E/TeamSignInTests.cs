using System.Text.Json;

namespace Portal.E2E;

/// <summary>The development sign-in's teams field, typed with the keyboard, and where those teams show.</summary>
[Collection(BrowserTestsC.Name)]
public sealed class TeamSignInTests(PortalServer server)
{
    [Fact]
    public async Task TeamsTypedAtSignInAreTheUsersTeamsOnThePagesAndForTheirTokens()
    {
        await using var user = await server.NewSessionAsync();
        var page = user.Page;
        await page.GotoAsync("account/login?returnUrl=%2Faccount%2Ftokens");

        await page.GetByTestId("dev-user").ClickAsync();
        await page.Keyboard.TypeAsync("Kim Keyboard");
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByTestId("dev-teams")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Fleet analytics, " + new string('x', 101));
        await page.Keyboard.PressAsync("Enter");

        // Not signed in: the field says what is wrong and keeps what was typed.
        await Expect(page.GetByTestId("dev-teams-error")).ToContainTextAsync("longer than 100 characters");
        await Expect(page.GetByTestId("dev-teams")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(page.GetByTestId("dev-user")).ToHaveValueAsync("Kim Keyboard");
        await user.ScreenshotAsync("dev-signin-teams-error");

        await page.GetByTestId("dev-teams").FocusAsync();
        await page.Keyboard.PressAsync("ControlOrMeta+A");
        await page.Keyboard.TypeAsync(" Fleet analytics ,Billing,");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/account/tokens");
        await user.WaitForCircuitAsync();

        await Expect(page.GetByTestId("user-teams")).ToHaveTextAsync("Billing, Fleet analytics");
        await page.GetByTestId("new-token").ClickAsync();
        await page.Locator("input[data-testid=token-name], [data-testid=token-name] input").First.PressSequentiallyAsync("teams.sh");
        await page.GetByTestId("create-token").ClickAsync();
        var token = (await page.GetByTestId("token-value").TextContentAsync())!.Trim();
        var response = await user.Context.APIRequest.GetAsync("api/v1/teams", new()
        {
            Headers = new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" },
        });
        Assert.Equal(200, response.Status);
        using var body = JsonDocument.Parse(await response.TextAsync());
        Assert.Equal(
            ["Billing", "Fleet analytics"],
            body.RootElement.GetProperty("teams").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToArray());
        await user.ScreenshotAsync("teams-in-app-bar");
        user.AssertNoConsoleErrors();
    }
}
