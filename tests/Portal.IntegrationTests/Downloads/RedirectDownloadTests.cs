using System.Net;
using Portal.Exports;
using Portal.IntegrationTests.Security;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Downloads;

/// <summary><c>/exports/{id}/files/{part}</c> in its default mode, on the real engine and simulator.</summary>
public class RedirectDownloadTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RedirectsTheOwnerToAPreSignedUrlThatServesTheFileAndRecordsTheDownload()
    {
        var owner = User("Olivia");
        var id = await portal.CompletedExportAsync(owner);
        using var client = portal.ClientFor(owner);

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var location = response.Headers.Location!;
        Assert.Equal(portal.Simulator.BaseAddress.Authority, location.Authority);
        Assert.EndsWith("/part-00000.csv", location.AbsolutePath, StringComparison.Ordinal);
        using var files = new HttpClient();
        var csv = await files.GetStringAsync(location, Cancellation);
        Assert.Equal(3 * 1440 + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var details = await portal.Exports().GetAsync(owner, id, Cancellation);
        Assert.Contains(details!.Timeline, e => e.From == ExportStatus.Completed && e.To == ExportStatus.Completed
            && e.Actor == owner.Name && e.Detail == "Downloaded part-00000.csv.");
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: {owner.Id} downloaded part 0 of export {id}", StringComparison.Ordinal));
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains(location.Query.TrimStart('?'), StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedirectsAnAdminForAnotherUsersExport()
    {
        var id = await portal.CompletedExportAsync(User("Petra"));
        var admin = User("Adele", admin: true);
        using var client = portal.ClientFor(admin);

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        using var files = new HttpClient();
        using var file = await files.GetAsync(response.Headers.Location, Cancellation);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("text/csv", file.Content.Headers.ContentType?.MediaType);
        var row = await portal.RowAsync(id);
        Assert.Contains(row.Events, e => e.Actor == admin.Name && e.Detail == "Downloaded part-00000.csv.");
    }

    [Fact]
    public async Task AnswersNotFoundForAnotherUserAnUnknownPartAndAnUnknownExport()
    {
        var owner = User("Quinn");
        var id = await portal.CompletedExportAsync(owner);
        var eventsBefore = (await portal.RowAsync(id)).Events.Count;
        var intruder = User("Rolf");
        using var other = portal.ClientFor(intruder);
        using var own = portal.ClientFor(owner);

        using var denied = await other.GetAsync(Downloading.FilePath(id), Cancellation);
        using var unknownPart = await own.GetAsync(Downloading.FilePath(id, part: 7), Cancellation);
        using var unknownExport = await own.GetAsync(Downloading.FilePath(Guid.NewGuid()), Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, denied.StatusCode);
        Assert.Null(denied.Headers.Location);
        Assert.Equal(HttpStatusCode.NotFound, unknownPart.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownExport.StatusCode);
        Assert.Equal(eventsBefore, (await portal.RowAsync(id)).Events.Count);
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: {intruder.Id} was denied Download export {id}", StringComparison.Ordinal));
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains($"Audit: {intruder.Id} downloaded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AsksForSignInBeforeAnything()
    {
        var id = await portal.CompletedExportAsync(User("Sina"));
        using var anonymous = portal.ClientFor(user: null);

        using var response = await anonymous.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain((await portal.RowAsync(id)).Events, e => e.Detail?.StartsWith("Downloaded", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task ALinkThatExpiresWithinAMinuteIsRenewedBeforeTheRedirect()
    {
        // Links live 30 s, less than the minute before expiry at which the portal renews them: every stored link is near expiry.
        await using var shortLinks = await PortalFactory.StartAsync(options => options.UrlLifetime = TimeSpan.FromSeconds(30));
        var owner = User("Tara");
        var id = await shortLinks.CompletedExportAsync(owner);
        var stored = Assert.Single((await shortLinks.RowAsync(id)).Files);
        // The simulator signs whole seconds: wait for the next one, so a renewed link differs from the stored one.
        await Eventually.HoldsAsync(
            () => DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 30 > stored.UrlExpiresAt.ToUnixTimeSeconds(), "the clock to reach the next second");
        using var client = shortLinks.ClientFor(owner);
        var asked = DateTimeOffset.UtcNow;

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        var expires = Downloading.Expires(location);
        Assert.True(expires > stored.UrlExpiresAt.ToUnixTimeSeconds(), $"expires {expires} is not later than the stored link's {stored.UrlExpiresAt}");
        Assert.InRange(expires, asked.ToUnixTimeSeconds() + 29, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 30);
        Assert.NotEqual(stored.Url, location.AbsoluteUri);
        var renewed = Assert.Single((await shortLinks.RowAsync(id)).Files);
        Assert.Equal(expires, renewed.UrlExpiresAt.ToUnixTimeSeconds());
        using var files = new HttpClient();
        using var file = await files.GetAsync(location, Cancellation);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
    }
}

/// <summary>The portal in Development whose only allowed file host is not the simulator's.</summary>
public sealed class ForeignFileHostPortalFactory : LoggedPortalFactory
{
    public ForeignFileHostPortalFactory() => Settings["Downloads:AllowedHosts:0"] = "files.example.test";
}

/// <summary>Links that point somewhere the portal must not send a browser.</summary>
public class RefusedRedirectTests(ForeignFileHostPortalFactory portal) : IClassFixture<ForeignFileHostPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ARedirectToAHostThatIsNotAllowedIsRefusedAuditedAndExplained()
    {
        var owner = User("Ulla");
        var id = await portal.CompletedExportAsync(owner);
        var stored = Assert.Single((await portal.RowAsync(id)).Files);
        using var client = portal.ClientFor(owner);

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var message = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.Contains("This file cannot be downloaded", message, StringComparison.Ordinal);
        Assert.DoesNotContain(new Uri(stored.Url).Host, message, StringComparison.Ordinal);
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: refused to send {owner.Id} to {portal.Simulator.BaseAddress.GetLeftPart(UriPartial.Authority)} for part 0 of export {id}: the host is not in Downloads:AllowedHosts", StringComparison.Ordinal));
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains($"Audit: {owner.Id} downloaded", StringComparison.Ordinal));
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains(new Uri(stored.Url).Query.TrimStart('?'), StringComparison.Ordinal));
    }

    [Fact]
    public async Task OutsideDevelopmentAPlainHttpLinkIsRefusedEvenOnTheUpstreamsOwnHost()
    {
        await using var production = new Security.EntraPortalFactory();
        await production.InitializeAsync();
        var owner = User("Vera");
        var id = await production.CompletedExportAsync(owner);
        using var client = production.ClientFor(owner);

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(production.Logs.Entries, e => e.Contains($"Audit: refused to send {owner.Id}", StringComparison.Ordinal)
            && e.Contains("the address uses http, not https", StringComparison.Ordinal));
    }
}
