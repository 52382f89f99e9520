namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class PlatformHealthTests(PortalServer server)
{
    [Fact]
    public async Task TheHealthBannerAppearsDuringAnUpstreamOutageAndGoesAwayAfterIt()
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync("Calm User");
        var banner = user.Page.GetByTestId("upstream-health-banner");
        await Expect(banner).ToHaveCountAsync(0);

        server.ReconfigureSimulator(o =>
        {
            o.Faults.ServiceUnavailableRate = 1;
            o.Faults.ServiceUnavailableRetryAfterSeconds = 1;
        });
        try
        {
            await user.SubmitLastHourAsync();

            // Pushed to the open page: no reload, no navigation.
            await Expect(banner).ToHaveTextAsync("The device data platform is answering slowly. Your exports are safe; the portal keeps trying.");
            await user.ExpectStatusAsync("Queued");
        }
        finally
        {
            server.ResetSimulator();
        }

        await Expect(banner).ToHaveCountAsync(0);
        await user.ExpectStatusAsync("Completed");
        user.AssertNoConsoleErrors();
    }
}
