using static Portal.E2E.Flows;

namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class ExportFlowTests(PortalServer server)
{
    [Theory]
    [InlineData("CSV")]
    [InlineData("PARQUET")]
    [InlineData("ORC")]
    public async Task UserSubmitsWatchesEveryStateLiveAndDownloadsAValidFile(string format)
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync($"Flow {format}");

        await user.SubmitLastHourAsync(format);

        await user.ExpectStatusAsync("Completed");
        // The page showed the request open and then completed, without a reload, in the lifecycle's order.
        var seen = await user.SeenStatusesAsync();
        Assert.Equal(Lifecycle.Where(seen.Contains), seen);
        Assert.Equal(["Submitted", "InProgress", "Completed"], seen.Where(s => s != "Queued"));

        var links = user.Page.GetByTestId("download-file");
        var parts = await links.CountAsync();
        Assert.True(parts >= 1, "a completed export offers its files");
        long rows = 0;
        for (var part = 0; part < parts; part++)
        {
            var download = await user.Page.RunAndWaitForDownloadAsync(() => links.Nth(part).ClickAsync());
            var path = Path.Combine(PortalServer.ArtifactsDirectory, $"flow-{format}-{part}-{download.SuggestedFilename}");
            await download.SaveAsAsync(path);
            var (columns, partRows) = await ResultFiles.ReadAsync(path, format);
            Assert.Equal(ResultFiles.Columns, columns);
            rows += partRows;
        }

        // 20 simulated devices, one row a minute, over the 60 whole minutes of the last hour.
        Assert.Equal(20 * 60, rows);
        user.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task HistoryListsTheUsersExportAndAnotherUserGetsNotFound()
    {
        await using var owner = await server.NewSessionAsync();
        await owner.SignInAsync("History Owner");
        var id = await owner.SubmitLastHourAsync();

        await owner.GoToAsync("exports");
        await Expect(owner.Page.Locator($"[data-testid=export-row][data-export-id='{id}']")).ToBeVisibleAsync();

        await using var stranger = await server.NewSessionAsync();
        await stranger.SignInAsync("History Stranger");
        await Expect(stranger.Page.GetByTestId("export-grid")).ToBeVisibleAsync();
        await Expect(stranger.Page.Locator($"[data-testid=export-row][data-export-id='{id}']")).ToHaveCountAsync(0);

        await stranger.GoToAsync($"exports/{id}");
        await Expect(stranger.Page.GetByTestId("export-not-found")).ToBeVisibleAsync();
        await Expect(stranger.Page.GetByTestId("export-status")).ToHaveCountAsync(0);

        owner.AssertNoConsoleErrors();
        stranger.AssertNoConsoleErrors();
    }
}
