using System.Net;
using System.Net.Http.Json;
using DeviceStatus.Formats;
using Portal.Exports;
using Portal.IntegrationTests.Security;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>The export's <c>name</c> through <c>/api/v1/exports</c>: given on create, shown on the resource, found by search.</summary>
public class ExportNameApiTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> CreateNamedAsync(HttpClient client, TimeRange range, string format, object? name, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ExportsPath)
        {
            Content = JsonContent.Create(new
            {
                timerange = new { from = Rfc3339.Format(range.From), to = Rfc3339.Format(range.To) },
                fileformat = format,
                name,
            }),
        };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await client.SendAsync(request, Cancellation);
    }

    private static async Task<List<Guid>> SearchAsync(HttpClient client, string search)
    {
        using var response = await client.GetAsync($"{ExportsPath}?search={Uri.EscapeDataString(search)}", Cancellation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await JsonAsync(response)).GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetGuid())];
    }

    [Fact]
    public async Task ANameGivenOnCreateIsOnTheResourceAndFindsItAsDoItsFormatAndItsRequestId()
    {
        using var client = await portal.ApiClientForAsync(User("Nadia"));

        using var created = await CreateNamedAsync(client, Day(3), "JSON", "  Fleet, Monday ");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var resource = await JsonAsync(created);
        var id = resource.GetProperty("id").GetGuid();
        Assert.Equal("Fleet, Monday", resource.GetProperty("name").GetString());
        using var other = await CreateNamedAsync(client, Day(4), "CSV", null);
        var otherResource = await JsonAsync(other);
        Assert.Equal(ExportNames.Default(FileFormat.Csv, Day(4), TimeZoneInfo.Utc), otherResource.GetProperty("name").GetString());

        var details = await client.WaitForStatusAsync(id, "Completed");
        Assert.Equal("Fleet, Monday", details.GetProperty("name").GetString());
        var uuid = details.GetProperty("request_uuid").GetString()!;

        Assert.Equal([id], await SearchAsync(client, "FLEET, mon"));
        Assert.Equal([id], await SearchAsync(client, "json"));
        Assert.Equal([id], await SearchAsync(client, uuid[..8].ToUpperInvariant()));
        Assert.Equal([otherResource.GetProperty("id").GetGuid()], await SearchAsync(client, "csv"));
    }

    [Theory]
    [InlineData("Line one\nline two", "control characters")]
    [InlineData(null, "at most 100 characters")]
    public async Task ABadNameIsABadRequestThatSaysWhatToFix(string? name, string words)
    {
        var user = User("Nils");
        using var client = await portal.ApiClientForAsync(user);

        using var response = await CreateNamedAsync(client, Day(3), "CSV", name ?? new string('n', 101));

        var errors = (await ProblemAsync(response, 400)).GetProperty("errors");
        Assert.Contains(words, errors.GetProperty("name")[0].GetString(), StringComparison.Ordinal);
        Assert.Empty(await SearchAsync(client, "csv"));
    }

    [Fact]
    public async Task AnIdempotencyKeyRepeatedWithAnotherNameIsUnprocessable()
    {
        using var client = await portal.ApiClientForAsync(User("Nora"));
        var key = Guid.NewGuid().ToString();
        using var first = await CreateNamedAsync(client, Day(3), "CSV", "Fleet", key);
        using var sameWithoutName = await CreateNamedAsync(client, Day(3), "CSV", null, key);

        using var renamed = await CreateNamedAsync(client, Day(3), "CSV", "Depot", key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, sameWithoutName.StatusCode);
        Assert.Equal("Fleet", (await JsonAsync(sameWithoutName)).GetProperty("name").GetString());
        await ProblemAsync(renamed, 422);
    }
}
