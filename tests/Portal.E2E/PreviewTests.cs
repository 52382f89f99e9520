using System.IO.Compression;

namespace Portal.E2E;

[Collection(BrowserTestsB.Name)]
public class PreviewTests(PortalServer server)
{
    [Theory]
    [InlineData("CSV")]
    [InlineData("PARQUET")]
    [InlineData("JSON")]
    [InlineData("ORC")]
    [InlineData("AVRO")]
    [InlineData("TEXTFILE")]
    public async Task UserPreviewsAFileAndSeesTheFirstHundredRowsAndTheColumnFacts(string format)
    {
        await using var user = await server.NewSessionAsync();
        await user.SignInAsync($"Preview {format}");
        await user.SubmitLastHourAsync(format);
        await user.ExpectStatusAsync("Completed");

        // The size comes from the file host before any preview.
        await Expect(user.Page.GetByTestId("file-size").First).ToContainTextAsync(new System.Text.RegularExpressions.Regex("[0-9.]+ [KM]?B"));
        await user.Page.GetByTestId("preview-file").First.ClickAsync();

        var grid = user.Page.GetByTestId("preview-grid");
        await Expect(grid).ToBeVisibleAsync();
        await Expect(grid.GetByTestId("preview-row")).ToHaveCountAsync(100);
        await Expect(grid.Locator("thead th")).ToHaveCountAsync(7);
        await Expect(grid.GetByTestId("preview-row").First.Locator("td").First).ToHaveTextAsync("dev-000000");
        var facts = user.Page.GetByTestId("column-facts");
        await Expect(facts).ToBeVisibleAsync();
        await Expect(facts.GetByTestId("column-fact")).ToHaveCountAsync(7);
        // 20 devices in the first 100 rows (five minutes of the fleet).
        await Expect(facts.Locator("[data-column=device_id] td").Nth(4)).ToHaveTextAsync("20");
        // Timestamps read as dates everywhere: the rows, the facts' min and max, and the footer's.
        var date = new System.Text.RegularExpressions.Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$");
        await Expect(grid.GetByTestId("preview-row").First.Locator("td").Nth(1)).ToHaveTextAsync(date);
        await Expect(facts.Locator("[data-column=timestamp] td").Nth(2)).ToHaveTextAsync(date);
        await Expect(facts.Locator("[data-column=timestamp] td").Nth(3)).ToHaveTextAsync(date);
        if (format is "PARQUET" or "ORC")
        {
            await Expect(facts.Locator("[data-column=device_id] [data-testid=file-statistics]")).ToContainTextAsync("1,200 values");
            await Expect(facts.Locator("[data-column=timestamp] [data-testid=file-statistics]")).ToHaveTextAsync(
                new System.Text.RegularExpressions.Regex(@"min \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z, max \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"));
        }

        await user.ScreenshotAsync($"preview-{format.ToLowerInvariant()}");
        user.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task UserDownloadsAMultiPartExportAsOneZipAndEveryPartParses()
    {
        server.ReconfigureSimulator(o => o.PartSize = 500);
        try
        {
            await using var user = await server.NewSessionAsync();
            await user.SignInAsync("Zip User");
            await user.SubmitLastHourAsync("PARQUET");
            await user.ExpectStatusAsync("Completed");
            await Expect(user.Page.GetByTestId("file-row")).ToHaveCountAsync(3);
            await Expect(user.Page.GetByTestId("files-total")).ToContainTextAsync("in all");

            var download = await user.Page.RunAndWaitForDownloadAsync(() => user.Page.GetByTestId("download-all").ClickAsync());
            Assert.EndsWith(".zip", download.SuggestedFilename, StringComparison.Ordinal);
            var path = Path.Combine(PortalServer.ArtifactsDirectory, $"zip-{download.SuggestedFilename}");
            await download.SaveAsAsync(path);

            using var zip = ZipFile.OpenRead(path);
            // Named after the export, so parts of different exports never collide once unpacked.
            Assert.Collection(zip.Entries,
                [.. Enumerable.Range(0, 3).Select(part => (Action<ZipArchiveEntry>)(entry => Assert.Matches(
                    $@"^device-status_PARQUET_\d{{4}}-\d{{2}}-\d{{2}}T\d{{4}}Z_\d{{4}}-\d{{2}}-\d{{2}}T\d{{4}}Z_part-{part:D5}\.parquet$", entry.FullName)))]);
            long rows = 0;
            foreach (var entry in zip.Entries)
            {
                var part = Path.Combine(PortalServer.ArtifactsDirectory, $"zip-{Guid.NewGuid():N}-{entry.Name}");
                entry.ExtractToFile(part);
                var (columns, partRows) = await ResultFiles.ReadAsync(part, "PARQUET");
                Assert.Equal(ResultFiles.Columns, columns);
                rows += partRows;
            }

            Assert.Equal(20 * 60, rows);
            user.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }
}
