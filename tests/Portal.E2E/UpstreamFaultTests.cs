namespace Portal.E2E;

[Collection(BrowserTestsB.Name)]
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
            var trouble = user.Page.GetByTestId("export-trouble");
            await Expect(trouble).ToContainTextAsync("503");
            await Expect(trouble).ToContainTextAsync("keeps trying");

            server.ResetSimulator();

            await user.ExpectStatusAsync("Completed");
            await Expect(trouble).ToHaveCountAsync(0);
            var seen = await user.SeenStatusesAsync();
            Assert.Equal("Queued", seen[0]);
            Assert.Equal(Flows.Lifecycle.Where(seen.Contains), seen);
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
        var maxOpenDuration = server.StopWaitingAfter(TimeSpan.FromSeconds(10));
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Waiting User");
            await user.SubmitLastHourAsync();

            await user.ExpectStatusAsync("TimedOut");
            await Expect(user.Page.GetByTestId("export-problem")).ToContainTextAsync("stopped waiting");
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.StopWaitingAfter(maxOpenDuration);
            server.ResetSimulator();
        }
    }
}
