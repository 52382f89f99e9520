using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.IntegrationTests.Security;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary><c>/api/v1/exports</c> over HTTP with personal access tokens, on the real engine and simulator.</summary>
public class ExportApiTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateWithAnIdempotencyKeyReturnsTheSameExportWhenRepeated()
    {
        var user = User("Ida");
        using var client = await portal.ApiClientForAsync(user);
        var key = Guid.NewGuid().ToString();

        using var first = await client.CreateAsync(Day(3), "PARQUET", key);
        using var repeat = await client.CreateAsync(Day(3), "PARQUET", key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        var created = await JsonAsync(first);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal(id, (await JsonAsync(repeat)).GetProperty("id").GetGuid());
        Assert.Equal("Queued", created.GetProperty("status").GetString());
        Assert.Equal($"http://localhost/api/v1/exports/{id}", created.GetProperty("links").GetProperty("self").GetString());
        Assert.Equal(new Uri($"http://localhost/api/v1/exports/{id}"), first.Headers.Location);
        Assert.Equal(1, await CountAsync(user.Id));
    }

    [Fact]
    public async Task CreateWithoutAnIdempotencyKeyMakesANewExportEachTime()
    {
        var user = User("Noah");
        using var client = await portal.ApiClientForAsync(user);

        var first = await client.CreatedIdAsync(Day(3));
        var second = await client.CreatedIdAsync(Day(3));

        Assert.NotEqual(first, second);
        Assert.Equal(2, await CountAsync(user.Id));
    }

    [Fact]
    public async Task AnIdempotencyKeyReusedWithAnotherBodyIsUnprocessable()
    {
        var user = User("Kai");
        using var client = await portal.ApiClientForAsync(user);
        var key = Guid.NewGuid().ToString();
        var id = (await JsonAsync(await client.CreateAsync(Day(3), "CSV", key))).GetProperty("id").GetGuid();

        using var reused = await client.CreateAsync(Day(4), "CSV", key);

        var problem = await ProblemAsync(reused, 422);
        Assert.Contains(id.ToString(), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(user.Id));
    }

    [Fact]
    public async Task ConcurrentCreatesWithOneKeyMakeOneExport()
    {
        var user = User("Conny");
        using var client = await portal.ApiClientForAsync(user);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.CreateAsync(Day(3), "JSON", key)));

        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"Answered {response.StatusCode}");
            ids.Add((await JsonAsync(response)).GetProperty("id").GetGuid());
            response.Dispose();
        }
        Assert.Single(ids);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(1, await CountAsync(user.Id));
    }

    [Fact]
    public async Task ATokenOfOneUserCannotReadCancelOrDownloadAnotherUsersExport()
    {
        var owner = User("Ann");
        using var ownerClient = await portal.ApiClientForAsync(owner);
        var id = await ownerClient.CreatedIdAsync(Day(2));
        await ownerClient.WaitForStatusAsync(id, "Completed");
        var other = User("Bert");
        using var otherClient = await portal.ApiClientForAsync(other);

        using var read = await otherClient.GetAsync($"{ExportsPath}/{id}", Cancellation);
        using var cancel = await otherClient.PostAsync($"{ExportsPath}/{id}/cancel", null, Cancellation);
        using var download = await otherClient.GetAsync($"{ExportsPath}/{id}/files/0", Cancellation);
        using var list = await otherClient.GetAsync(ExportsPath, Cancellation);

        await ProblemAsync(read, 404);
        await ProblemAsync(cancel, 404);
        await ProblemAsync(download, 404);
        Assert.Equal(0, (await JsonAsync(list)).GetProperty("total").GetInt32());
        Assert.Equal(Portal.Kernel.ExportStatus.Completed, (await portal.RowAsync(id)).Status);
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: {other.Id} was denied View export {id}", StringComparison.Ordinal));
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"Audit: {other.Id} was denied Download export {id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAdminsTokenReadsAnotherUsersExport()
    {
        using var ownerClient = await portal.ApiClientForAsync(User("Cleo"));
        var id = await ownerClient.CreatedIdAsync(Day(2));
        using var adminClient = await portal.ApiClientForAsync(User("Alma", admin: true));

        using var read = await adminClient.GetAsync($"{ExportsPath}/{id}", Cancellation);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("cleo-oid", (await JsonAsync(read)).GetProperty("owner_id").GetString());
    }

    [Fact]
    public async Task AnAdminsTokenCancelsAnotherUsersExportWithAReasonTheOwnerIsShown()
    {
        var owner = User("Odile");
        using var ownerClient = await portal.ApiClientForAsync(owner);
        var id = await ownerClient.CreatedIdAsync(Day(2));
        using var adminClient = await portal.ApiClientForAsync(User("Arne", admin: true));

        using var refused = await adminClient.PostAsync($"{ExportsPath}/{id}/cancel", System.Net.Http.Json.JsonContent.Create(new { reason = "two\nlines" }), Cancellation);
        using var cancelled = await adminClient.PostAsync($"{ExportsPath}/{id}/cancel", System.Net.Http.Json.JsonContent.Create(new { reason = "Billing freeze until Monday" }), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await JsonAsync(refused)).GetProperty("errors").TryGetProperty("reason", out _));
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("Cancelled", (await JsonAsync(cancelled)).GetProperty("status").GetString());
        var notice = Assert.Single(await portal.Exports().GetNoticesAsync(owner, 10, Cancellation));
        Assert.EndsWith("was cancelled by Arne. Reason: Billing freeze until Monday", notice.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetShowsTheStatusTimelineAndFilesWithThePortalsDownloadAddress()
    {
        using var client = await portal.ApiClientForAsync(User("Gus"));
        var id = await client.CreatedIdAsync(Day(2));

        var export = await client.WaitForStatusAsync(id, "Completed");

        var file = Assert.Single(export.GetProperty("files").EnumerateArray());
        Assert.Equal($"http://localhost/api/v1/exports/{id}/files/0", file.GetProperty("url").GetString());
        // The portal's own name for the file, as the download header and the zip give it; never the vendor's raw one.
        Assert.Equal(ResultFileNames.For(FileFormat.Csv, Day(2), "part-00000.csv", 0), file.GetProperty("name").GetString());
        Assert.Equal(3 * 1440, export.GetProperty("row_count").GetInt64());
        var statuses = export.GetProperty("timeline").EnumerateArray().Select(e => e.GetProperty("to").GetString()).ToList();
        Assert.Equal("Queued", statuses[0]);
        Assert.Contains("Submitted", statuses);
        Assert.Equal("Completed", statuses[^1]);
    }

    [Fact]
    public async Task DownloadRedirectsToAFreshLinkInRedirectMode()
    {
        using var client = await portal.ApiClientForAsync(User("Rita"));
        var id = await client.CreatedIdAsync(Day(2));
        var export = await client.WaitForStatusAsync(id, "Completed");
        var url = export.GetProperty("files")[0].GetProperty("url").GetString();

        using var response = await client.GetAsync(url, Cancellation);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal(portal.Simulator.BaseAddress.Authority, location.Authority);
        using var files = new HttpClient();
        var csv = await files.GetStringAsync(location, Cancellation);
        Assert.Equal(3 * 1440 + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ListFiltersAndPagesLikeTheGrid()
    {
        using var client = await portal.ApiClientForAsync(User("Lisa"));
        await client.CreatedIdAsync(Day(5), "CSV");
        var json = await client.CreatedIdAsync(Day(6), "JSON");
        await client.CreatedIdAsync(Day(7), "CSV");

        var byFormat = await JsonAsync(await client.GetAsync($"{ExportsPath}?fileformat=json", Cancellation));
        var first = await JsonAsync(await client.GetAsync($"{ExportsPath}?page_size=2&sort=range_from&order=asc", Cancellation));
        var second = await JsonAsync(await client.GetAsync(first.GetProperty("links").GetProperty("next").GetString(), Cancellation));

        Assert.Equal(json, Assert.Single(byFormat.GetProperty("items").EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        Assert.False(first.GetProperty("total_is_lower_bound").GetBoolean());
        Assert.Equal(2, first.GetProperty("items").GetArrayLength());
        Assert.Equal(Rfc3339Day(7), first.GetProperty("items")[0].GetProperty("timerange").GetProperty("from").GetString());
        Assert.Equal(2, second.GetProperty("page").GetInt32());
        Assert.Equal(Rfc3339Day(5), Assert.Single(second.GetProperty("items").EnumerateArray()).GetProperty("timerange").GetProperty("from").GetString());
        Assert.Equal(JsonValueKind.Null, second.GetProperty("links").GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task BadInputIsAProblemThatNamesTheFields()
    {
        using var client = await portal.ApiClientForAsync(User("Bea"));

        using var badTimes = await client.PostAsync(ExportsPath, JsonContent(
            """{"timerange":{"from":"yesterday","to":"2026-11-28T00:00:00Z"},"fileformat":"XLSX"}"""), Cancellation);
        using var notJson = await client.PostAsync(ExportsPath, JsonContent("{\"timerange\":"), Cancellation);
        using var badPaging = await client.GetAsync($"{ExportsPath}?page_size=0&status=Lost", Cancellation);
        using var backwards = await client.CreateAsync(new Portal.Kernel.TimeRange(Day(2).To, Day(2).From));

        var fields = (await ProblemAsync(badTimes, 400)).GetProperty("errors");
        Assert.Contains("RFC 3339", fields.GetProperty("timerange.from")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("PARQUET", fields.GetProperty("fileformat")[0].GetString(), StringComparison.Ordinal);
        await ProblemAsync(notJson, 400);
        var paging = (await ProblemAsync(badPaging, 400)).GetProperty("errors");
        Assert.True(paging.TryGetProperty("page_size", out _));
        Assert.True(paging.TryGetProperty("status", out _));
        Assert.True((await ProblemAsync(backwards, 400)).GetProperty("errors").TryGetProperty("timerange", out _));
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static string Rfc3339Day(int daysAgo) => DeviceStatus.Formats.Rfc3339.Format(Day(daysAgo).From);

    /// <summary>Completed requests written straight to the database: more than the engine would complete in a test.</summary>
    private async Task<int> CountAsync(string ownerId)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.ExportRequests.CountAsync(e => e.OwnerId == ownerId, Cancellation);
    }
}
