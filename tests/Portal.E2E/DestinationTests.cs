using Portal.Testing;

namespace Portal.E2E;

/// <summary>A destination defined, tested and delivered to, typed with the keyboard into the pages, against Azurite.</summary>
[Collection(BrowserTestsB.Name)]
public class DestinationTests(PortalServer server)
{
    [Fact]
    public async Task AUserDefinesAnAzureDestinationTestsItAndSeesAnExportDeliveredThere()
    {
        var blobs = await StorageEngines.NewContainerAsync(TestContext.Current.CancellationToken);
        var container = blobs.Name;
        await using var session = await server.NewSessionAsync();
        await session.SignInAsync("Dana Delivery", returnUrl: "/account/destinations");
        var page = session.Page;
        await Expect(page.GetByTestId("destinations-empty")).ToBeVisibleAsync();

        await page.GetByTestId("new-destination").ClickAsync();
        await page.GetByTestId("destination-kind").SelectOptionAsync("azure-blob");
        await TypeAsync(page.GetByTestId("destination-name"), "Team storage");
        await TypeAsync(page.GetByTestId("destination-connection-string"), StorageEngines.AzuriteConnectionString);
        await TypeAsync(page.GetByTestId("destination-container"), container);
        await Expect(page.GetByTestId("destination-path-template")).ToHaveValueAsync("{format}/{from:yyyy-MM-dd}/{export}-{part}.{ext}");
        await session.ScreenshotAsync("destination-form-azure");
        await page.GetByTestId("save-destination").ClickAsync();

        var destination = page.GetByTestId("destination");
        await Expect(destination).ToHaveCountAsync(1);
        await Expect(destination.GetByTestId("destination-name-text")).ToHaveTextAsync("Team storage");
        await Expect(destination.GetByTestId("destination-target")).ToContainTextAsync(container);
        // The secret is gone once saved: neither in the list nor left in a field.
        Assert.DoesNotContain("AccountKey", await page.ContentAsync(), StringComparison.Ordinal);

        await destination.GetByTestId("test-destination").ClickAsync();
        await Expect(destination.GetByTestId("destination-test-result")).ToHaveAttributeAsync("data-succeeded", "true");
        await session.AssertAccessibleAsync();
        await session.ScreenshotAsync("destinations-tested");

        await session.GoToAsync("exports/new");
        await page.GetByTestId("preset-last-hour").ClickAsync();
        await page.GetByTestId("deliver-to").GetByLabel("Team storage").CheckAsync();
        await page.GetByTestId("submit-export").ClickAsync();
        await session.ExpectExportPageAsync();

        var delivery = page.GetByTestId("delivery-status");
        await Expect(delivery).ToHaveCountAsync(1);
        await Expect(delivery).ToHaveAttributeAsync("data-status", "Delivered");
        await Expect(delivery.GetByTestId("delivered-file").First).ToContainTextAsync("csv/");
        await session.AssertAccessibleAsync();
        await session.ScreenshotAsync("export-delivered");

        var written = new List<string>();
        await foreach (var blob in blobs.GetBlobsAsync(cancellationToken: TestContext.Current.CancellationToken))
        {
            written.Add(blob.Name);
        }
        Assert.NotEmpty(written);
        Assert.All(written, name => Assert.StartsWith("csv/", name, StringComparison.Ordinal));
        Assert.Equal(written.Count, await delivery.GetByTestId("delivered-file").CountAsync());
        session.AssertNoConsoleErrors();
    }

    /// <summary>Typed key by key, as a person does; Tab leaves the field, which is when the browser reports it.</summary>
    private static async Task TypeAsync(ILocator field, string text)
    {
        await field.PressSequentiallyAsync(text);
        await field.PressAsync("Tab");
    }
}
