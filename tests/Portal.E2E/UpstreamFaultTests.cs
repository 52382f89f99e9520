namespace Portal.E2E;

[Collection(BrowserCollection.Name)]
public class UpstreamFaultTests(PortalServer server)
{
    [Fact]
    public async Task AnExportSurvivesAWhileOfUpstreamFailuresAndCompletes()
    {
        server.ReconfigureSimulator(o => o.Faults.ServiceUnavailableRate = 1);
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Patient User");
            await user.SubmitLastHourAsync();
            await user.ExpectStatusAsync("Queued");
            await Expect(user.Page.GetByTestId("export-error")).ToContainTextAsync("unavailable", new() { IgnoreCase = true });

            server.ResetSimulator();

            await user.ExpectStatusAsync("Completed");
            Assert.Equal(["Queued", "Submitted", "InProgress", "Completed"], (await user.SeenStatusesAsync()).Distinct().ToArray());
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }

    [Fact]
    public async Task AnExportThatNeverCompletesEndsTimedOutWithAReadableReason()
    {
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Waiting User");
            await user.SubmitLastHourAsync();

            await user.ExpectStatusAsync("TimedOut", timeoutMs: 25_000);
            await Expect(user.Page.GetByTestId("export-error")).ToContainTextAsync("did not complete");
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
