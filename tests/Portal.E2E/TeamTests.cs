using Portal.Security;

namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class TeamTests(PortalServer server)
{
    private const string Team = "E2E Fleet";

    [Fact]
    public async Task TwoMembersSeeTheTeamsExportLiveAndAThirdUserOnlyWhileItIsSharedWithThem()
    {
        await using var first = await server.NewSessionAsync();
        await first.SignInAsync("Team Case First", teams: Team);
        await using var second = await server.NewSessionAsync();
        // Signed in, the second member is on their list of exports.
        await second.SignInAsync("Team Case Second", teams: $"{Team}, Another team");
        await using var third = await server.NewSessionAsync();
        await third.SignInAsync("Team Case Third");

        // The second member watches their list while the first asks for an export for the team.
        await first.GoToAsync("exports/new");
        await first.Page.GetByTestId("preset-last-hour").ClickAsync();
        await first.Page.GetByTestId("export-team").SelectOptionAsync(Team);
        await first.Page.GetByTestId("submit-export").ClickAsync();
        await first.ExpectExportPageAsync();
        var id = Guid.Parse(Flows.ExportPageUrl().Match(first.Page.Url).Groups["id"].Value);
        await Expect(first.Page.GetByTestId("export-parameters")).ToContainTextAsync(Team);

        // It arrives in the second member's open list and completes there, without a reload.
        var row = second.Page.Locator($"[data-testid=export-row][data-export-id='{id}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row).ToHaveAttributeAsync("data-status", "Completed", new() { Timeout = PortalServer.WaitCeilingMs });
        await first.ExpectStatusAsync("Completed");
        await second.GoToAsync($"exports/{id}");
        await second.ExpectStatusAsync("Completed");
        await Expect(second.Page.GetByTestId("export-parameters")).ToContainTextAsync("Team Case First");
        // A member reads; the requester and the team's maintainers share.
        await Expect(second.Page.GetByTestId("export-shares")).ToHaveCountAsync(0);
        await second.GoToAsync($"exports?team={Uri.EscapeDataString(Team)}");
        await Expect(second.Page.Locator($"[data-testid=export-row][data-export-id='{id}']")).ToBeVisibleAsync();

        // Not the third user's to see, until it is shared with them.
        await third.GoToAsync($"exports/{id}");
        await Expect(third.Page.GetByTestId("export-not-found")).ToBeVisibleAsync();

        await first.Page.GetByTestId("share-open").ClickAsync();
        var users = first.Page.GetByTestId("share-users");
        await users.ClickAsync();
        await first.Page.Keyboard.TypeAsync(DevelopmentUserStore.IdFor("Team Case Third"));
        await first.Page.GetByTestId("share-export").ClickAsync();
        await Expect(first.Page.GetByTestId("share")).ToContainTextAsync("Team Case Third");

        await third.GoToAsync("exports?shared=true");
        await Expect(third.Page.Locator($"[data-testid=export-row][data-export-id='{id}']")).ToBeVisibleAsync();
        await third.GoToAsync($"exports/{id}");
        await third.ExpectStatusAsync("Completed");

        // Taken back: the third user's open page says so at once, without a reload.
        await first.Page.GetByTestId("unshare").ClickAsync();
        await Expect(first.Page.GetByTestId("shares-none")).ToBeVisibleAsync();
        await Expect(third.Page.GetByTestId("export-access-ended")).ToBeVisibleAsync();

        first.AssertNoConsoleErrors();
        second.AssertNoConsoleErrors();
        third.AssertNoConsoleErrors();
    }
}
