using System.Net;

namespace Portal.IntegrationTests.Downloads;

public class RedirectDownloadTests(DownloadsFactory factory) : IClassFixture<DownloadsFactory>
{
    private const string AdminRole = "Portal.Admin";

    private string FileUrl(int part = 0) => $"/exports/{factory.Exports.ExportId}/files/{part}";

    [Fact]
    public async Task RedirectsTheOwnerToAFreshLink()
    {
        using var client = factory.CreateClientFor(DownloadExportService.Owner);

        using var response = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(factory.Exports.LastIssued, response.Headers.Location);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
    }

    [Fact]
    public async Task RedirectsAnAdminForAnyonesExport()
    {
        using var client = factory.CreateClientFor("ann", AdminRole);

        using var response = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(factory.Exports.LastIssued, response.Headers.Location);
        Assert.Contains(("ann", true, factory.Exports.ExportId, 0), factory.Exports.Requests);
    }

    [Fact]
    public async Task AnswersNotFoundForAnotherUser()
    {
        using var client = factory.CreateClientFor("bob");

        using var response = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(("bob", false, factory.Exports.ExportId, 0), factory.Exports.Requests);
    }

    [Fact]
    public async Task AnswersNotFoundForAnUnknownExportOrPart()
    {
        using var client = factory.CreateClientFor(DownloadExportService.Owner);

        using var unknownExport = await client.GetAsync($"/exports/{Guid.NewGuid()}/files/0", TestContext.Current.CancellationToken);
        using var unknownPart = await client.GetAsync(FileUrl(part: 7), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, unknownExport.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownPart.StatusCode);
    }

    [Fact]
    public async Task AsksForSignInBeforeAnything()
    {
        using var client = factory.CreateClientFor(user: null);
        var before = factory.Exports.Requests.Count;

        using var response = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(before, factory.Exports.Requests.Count);
    }

    [Fact]
    public async Task EveryDownloadGetsANewLinkSoAnExpiringOneIsNeverReused()
    {
        using var client = factory.CreateClientFor(DownloadExportService.Owner);

        using var first = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);
        var firstIssued = factory.Exports.LastIssued;
        using var second = await client.GetAsync(FileUrl(), TestContext.Current.CancellationToken);

        Assert.Equal(firstIssued, first.Headers.Location);
        Assert.Equal(factory.Exports.LastIssued, second.Headers.Location);
        Assert.NotEqual(first.Headers.Location, second.Headers.Location);
    }
}
