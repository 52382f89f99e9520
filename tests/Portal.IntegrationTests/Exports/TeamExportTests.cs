using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using DeviceStatus.Formats;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Api;
using Portal.IntegrationTests.Downloads;
using Portal.IntegrationTests.Security;
using Portal.Notifications;
using Portal.Previews;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Exports;

/// <summary>
/// Team exports and shares of one export over every route that hands out an export: the API, the file and zip
/// routes, previews and the hub, on the real engine and simulator, with real HTTP and SignalR clients.
/// </summary>
public class TeamExportTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private const string Fleet = "Fleet analytics";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportUser Member(string name, params string[] teams) => User(name) with { Teams = teams };

    /// <summary>A token of <paramref name="user"/>, whose latest sign-in said they are in their teams.</summary>
    private async Task<HttpClient> ApiClientAsync(ExportUser user)
    {
        var token = await portal.TokenForAsync(user);
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        await db.PortalUsers.Where(u => u.Id == user.Id).ExecuteUpdateAsync(u => u.SetProperty(p => p.Teams, TeamRules.Join(user.Teams)), Cancellation);
        return portal.ApiClient(token);
    }

    private async Task<(HubConnection Connection, ConcurrentQueue<ExportChanged> Received)> ConnectAsync(ExportUser user)
    {
        var received = new ConcurrentQueue<ExportChanged>();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers[TestAuthentication.Header] = TestAuthentication.For(user);
            })
            .Build();
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, received.Enqueue);
        await connection.StartAsync(Cancellation);
        return (connection, received);
    }

    private static object CreateBody(string? team) => new
    {
        timerange = new { from = Rfc3339.Format(Day(2).From), to = Rfc3339.Format(Day(2).To) },
        fileformat = "CSV",
        team,
    };

    private Task<PreviewOutcome> PreviewAsync(ExportUser user, Guid id) =>
        portal.Services.CreateScope().ServiceProvider.GetRequiredService<IFilePreviewService>().PreviewAsync(user, id, 0, Cancellation);

    private bool Logged(string text) => portal.Logs.Entries.Any(e => e.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task ATeamMemberReadsPreviewsAndDownloadsATeamsExportAndANonMemberFindsItNowhere()
    {
        var requester = Member("TeamMona", Fleet);
        var teammate = Member("TeamTom", Fleet);
        var outsider = Member("TeamNina", "Billing");
        using var requesterApi = await ApiClientAsync(requester);
        using var teammateApi = await ApiClientAsync(teammate);
        using var outsiderApi = await ApiClientAsync(outsider);
        var (teammateHub, teammateHeard) = await ConnectAsync(teammate);
        var (outsiderHub, outsiderHeard) = await ConnectAsync(outsider);
        await using var _ = teammateHub;
        await using var __ = outsiderHub;

        using var created = await requesterApi.PostAsJsonAsync(ApiCalls.ExportsPath, CreateBody(Fleet), Cancellation);
        using var notAMember = await outsiderApi.PostAsJsonAsync(ApiCalls.ExportsPath, CreateBody(Fleet), Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var createdJson = await ApiCalls.JsonAsync(created);
        var id = createdJson.GetProperty("id").GetGuid();
        Assert.Equal(Fleet, createdJson.GetProperty("team").GetString());
        var problem = await ApiCalls.ProblemAsync(notAMember, 400);
        Assert.Equal("You are not a member of team Fleet analytics.", problem.GetProperty("errors").GetProperty("team")[0].GetString());
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);

        using var teammateGet = await teammateApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var teammateList = await teammateApi.GetAsync($"{ApiCalls.ExportsPath}?team={Uri.EscapeDataString(Fleet)}", Cancellation);
        using var teammateApiFile = await teammateApi.GetAsync($"{ApiCalls.ExportsPath}/{id}/files/0", Cancellation);
        using var teammatePages = portal.ClientFor(teammate);
        using var teammateFile = await teammatePages.GetAsync(Downloading.FilePath(id), Cancellation);
        using var teammateZip = await teammatePages.GetAsync($"/exports/{id}/files/all.zip", Cancellation);
        var teammatePreview = await PreviewAsync(teammate, id);

        Assert.Equal(HttpStatusCode.OK, teammateGet.StatusCode);
        Assert.Equal(Fleet, (await ApiCalls.JsonAsync(teammateGet)).GetProperty("team").GetString());
        Assert.Equal([id], (await ApiCalls.JsonAsync(teammateList)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
        Assert.Equal(HttpStatusCode.Redirect, teammateApiFile.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, teammateFile.StatusCode);
        Assert.Equal(HttpStatusCode.OK, teammateZip.StatusCode);
        using (var zip = new ZipArchive(await teammateZip.Content.ReadAsStreamAsync(Cancellation)))
        {
            Assert.Single(zip.Entries);
        }
        Assert.Equal(100, Assert.IsType<PreviewOutcome.Shown>(teammatePreview).Preview.Rows.Count);
        Assert.True(Logged($"Audit: {teammate.Id} downloaded part 0 of export {id}"));
        Assert.True(Logged($"Audit: {teammate.Id} downloaded all 1 parts of export {id} as a zip"));
        Assert.True(Logged($"Audit: {teammate.Id} previewed part 0 of export {id}"));

        using var outsiderGet = await outsiderApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var outsiderList = await outsiderApi.GetAsync($"{ApiCalls.ExportsPath}?team={Uri.EscapeDataString(Fleet)}", Cancellation);
        using var outsiderApiFile = await outsiderApi.GetAsync($"{ApiCalls.ExportsPath}/{id}/files/0", Cancellation);
        using var outsiderPages = portal.ClientFor(outsider);
        using var outsiderFile = await outsiderPages.GetAsync(Downloading.FilePath(id), Cancellation);
        using var outsiderZip = await outsiderPages.GetAsync($"/exports/{id}/files/all.zip", Cancellation);
        var outsiderPreview = await PreviewAsync(outsider, id);
        var outsiderSince = await outsiderHub.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), 0L, Cancellation);
        var teammateSince = await teammateHub.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), 0L, Cancellation);

        await ApiCalls.ProblemAsync(outsiderGet, 404);
        Assert.Empty((await ApiCalls.JsonAsync(outsiderList)).GetProperty("items").EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, outsiderApiFile.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, outsiderFile.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, outsiderZip.StatusCode);
        Assert.IsType<PreviewOutcome.NotFound>(outsiderPreview);
        Assert.DoesNotContain(outsiderSince, c => c.ExportId == id);
        Assert.Contains(teammateSince, c => c.ExportId == id && c.Status == ExportStatus.Completed && c.Team == Fleet);
        await Eventually.HoldsAsync(() => teammateHeard.Any(c => c.ExportId == id && c.Detail == "Downloaded part-00000.csv."),
            "the teammate's hub client to hear the export complete and be downloaded");
        Assert.Contains(teammateHeard, c => c.ExportId == id && c.Status == ExportStatus.Completed);
        Assert.DoesNotContain(outsiderHeard, c => c.ExportId == id);
        Assert.True(Logged($"Audit: {outsider.Id} was denied View export {id}"));
        Assert.True(Logged($"Audit: {outsider.Id} was denied Download export {id}"));
        Assert.False(Logged($"Audit: {outsider.Id} downloaded"));
    }

    [Fact]
    public async Task AColleagueAnExportIsSharedWithReadsAndDownloadsItUntilItIsUnsharedAndTheirHubHearsBoth()
    {
        var owner = User("ShareOlga");
        var colleague = User("ShareCarl");
        using var ownerApi = await ApiClientAsync(owner);
        using var colleagueApi = await ApiClientAsync(colleague);
        var id = await portal.CompletedExportAsync(owner);
        var (colleagueHub, colleagueHeard) = await ConnectAsync(colleague);
        var (ownerHub, ownerHeard) = await ConnectAsync(owner);
        await using var _ = colleagueHub;
        await using var __ = ownerHub;
        var sharesPath = $"{ApiCalls.ExportsPath}/{id}/shares";
        using var colleaguePages = portal.ClientFor(colleague);
        using var ownerPages = portal.ClientFor(owner);

        using var before = await colleagueApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var unknown = await ownerApi.PostAsJsonAsync(sharesPath, new { users = new[] { colleague.Email, "stranger@example.test" } }, Cancellation);
        using var shared = await ownerApi.PostAsJsonAsync(sharesPath, new { users = new[] { colleague.Email!.ToUpperInvariant() } }, Cancellation);
        using var reshared = await colleagueApi.PostAsJsonAsync(sharesPath, new { users = new[] { owner.Id } }, Cancellation);
        using var seen = await colleagueApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var sharedWithMe = await colleagueApi.GetAsync($"{ApiCalls.ExportsPath}?shared=true", Cancellation);
        using var own = await colleagueApi.GetAsync(ApiCalls.ExportsPath, Cancellation);
        using var ownerSees = await ownerApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var download = await colleaguePages.GetAsync(Downloading.FilePath(id), Cancellation);

        await ApiCalls.ProblemAsync(before, 404);
        var problem = await ApiCalls.ProblemAsync(unknown, 400);
        Assert.Contains("'stranger@example.test'", problem.GetProperty("errors").GetProperty("users")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        var share = Assert.Single((await ApiCalls.JsonAsync(shared)).GetProperty("shares").EnumerateArray());
        Assert.Equal((colleague.Id, colleague.Name, colleague.Email, owner.Id),
            (share.GetProperty("user").GetString(), share.GetProperty("name").GetString(), share.GetProperty("email").GetString(), share.GetProperty("sharedBy").GetString()));
        Assert.True(DateTimeOffset.TryParse(share.GetProperty("sharedAt").GetString(), System.Globalization.CultureInfo.InvariantCulture, out var sharedAt) && sharedAt > DateTimeOffset.UtcNow.AddHours(-1));
        await ApiCalls.ProblemAsync(reshared, 404);
        Assert.Equal(HttpStatusCode.OK, seen.StatusCode);
        Assert.Empty((await ApiCalls.JsonAsync(seen)).GetProperty("shares").EnumerateArray());
        Assert.Equal([id], (await ApiCalls.JsonAsync(sharedWithMe)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid()));
        Assert.DoesNotContain((await ApiCalls.JsonAsync(own)).GetProperty("items").EnumerateArray(), e => e.GetProperty("id").GetGuid() == id);
        Assert.Single((await ApiCalls.JsonAsync(ownerSees)).GetProperty("shares").EnumerateArray());
        Assert.Equal(HttpStatusCode.Redirect, download.StatusCode);
        Assert.True(Logged($"Audit: {owner.Id} shared export {id} with {colleague.Id}"));
        Assert.True(Logged($"Audit: {colleague.Id} downloaded part 0 of export {id}"));
        // Shared with them: their hub hears the share, and the export's later changes (their own download's note).
        await Eventually.HoldsAsync(
            () => colleagueHeard.Any(c => c.ExportId == id && c.AccessChangedFor == colleague.Id)
                && colleagueHeard.Any(c => c.ExportId == id && c.Detail == "Downloaded part-00000.csv."),
            "the colleague's hub client to hear the share and the download");

        using var unshared = await ownerApi.DeleteAsync($"{sharesPath}/{Uri.EscapeDataString(colleague.Id)}", Cancellation);
        using var after = await colleagueApi.GetAsync($"{ApiCalls.ExportsPath}/{id}", Cancellation);
        using var fileAfter = await colleaguePages.GetAsync(Downloading.FilePath(id), Cancellation);
        using var zipAfter = await colleaguePages.GetAsync($"/exports/{id}/files/all.zip", Cancellation);
        using var sharedAfter = await colleagueApi.GetAsync($"{ApiCalls.ExportsPath}?shared=true", Cancellation);

        Assert.Equal(HttpStatusCode.NoContent, unshared.StatusCode);
        await ApiCalls.ProblemAsync(after, 404);
        Assert.Equal(HttpStatusCode.NotFound, fileAfter.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, zipAfter.StatusCode);
        Assert.Empty((await ApiCalls.JsonAsync(sharedAfter)).GetProperty("items").EnumerateArray());
        Assert.True(Logged($"Audit: {owner.Id} unshared export {id} from {colleague.Id}"));
        await Eventually.HoldsAsync(() => colleagueHeard.Any(c => c.ExportId == id && c.Detail == $"No longer shared with {colleague.Name}."),
            "the colleague's hub client to hear that the export is no longer shared with them");
        var unshare = colleagueHeard.Single(c => c.Detail == $"No longer shared with {colleague.Name}.");
        Assert.Equal((colleague.Id, owner.Id), (unshare.AccessChangedFor, unshare.OwnerId));

        // Once unshared, the export's changes no longer reach them, while its owner still hears them.
        using var ownerDownload = await ownerPages.GetAsync(Downloading.FilePath(id), Cancellation);
        Assert.Equal(HttpStatusCode.Redirect, ownerDownload.StatusCode);
        await Eventually.HoldsAsync(() => ownerHeard.Any(c => c.ExportId == id && c.EventId > unshare.EventId && c.Detail == "Downloaded part-00000.csv."),
            "the owner's hub client to hear their download");
        Assert.DoesNotContain(colleagueHeard, c => c.ExportId == id && c.EventId > unshare.EventId);
        var since = await colleagueHub.InvokeAsync<List<ExportChanged>>(nameof(ExportsHub.ChangesSince), 0L, Cancellation);
        Assert.Equal([$"Shared with {colleague.Name}.", $"No longer shared with {colleague.Name}."],
            since.Where(c => c.ExportId == id).Select(c => c.Detail));
    }
}
