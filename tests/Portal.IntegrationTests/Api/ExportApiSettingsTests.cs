using System.Net;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>The API under settings of its own: a per-user limit, exports that stay open, files streamed through the portal.</summary>
public class ExportApiSettingsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CancelStopsAnOpenExportAndRefusesAnEndedOne()
    {
        await using var portal = await PortalFactory.StartAsync(simulator => simulator.MinimumPreparationTime = TimeSpan.FromMinutes(10));
        using var client = await portal.ApiClientForAsync(User("Cass"));
        var id = await client.CreatedIdAsync(Day(2));

        using var cancel = await client.PostAsync($"{ExportsPath}/{id}/cancel", null, Cancellation);
        using var again = await client.PostAsync($"{ExportsPath}/{id}/cancel", null, Cancellation);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Cancelled", (await JsonAsync(cancel)).GetProperty("status").GetString());
        await ProblemAsync(again, 409);
        Assert.Equal(Portal.Kernel.ExportStatus.Cancelled, (await portal.RowAsync(id)).Status);
    }

    [Fact]
    public async Task ThePerUserLimitOfThePagesAppliesWithRetryAfter()
    {
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Exports:MaxSubmissionsPerMinute"] = "2" });
        using var client = await portal.ApiClientForAsync(User("Lim"));
        using var others = await portal.ApiClientForAsync(User("Other"));

        await client.CreatedIdAsync(Day(2));
        await client.CreatedIdAsync(Day(3));
        using var third = await client.CreateAsync(Day(4));
        using var someoneElse = await others.CreateAsync(Day(4));

        await ProblemAsync(third, 429);
        var retryAfter = third.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.Created, someoneElse.StatusCode);
    }

    [Fact]
    public async Task DownloadStreamsTheFileInProxyMode()
    {
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Downloads:Mode"] = "Proxy" });
        using var client = await portal.ApiClientForAsync(User("Pia"));
        var id = await client.CreatedIdAsync(Day(2));
        var export = await client.WaitForStatusAsync(id, "Completed");

        using var response = await client.GetAsync(export.GetProperty("files")[0].GetProperty("url").GetString(), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        var csv = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.StartsWith("device_id,timestamp,status", csv, StringComparison.Ordinal);
        Assert.Equal(3 * 1440 + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task TwoInstancesOnOneDatabaseStoreOneExportForOneKey()
    {
        await using var first = await PortalFactory.StartAsync(simulator => simulator.MinimumPreparationTime = TimeSpan.FromMinutes(10));
        await using var second = await PortalFactory.StartAsync(simulator: first.Simulator, databasePath: first.DatabasePath);
        var user = User("Twin");
        var token = await first.TokenForAsync(user);
        using var a = first.ApiClient(token);
        using var b = second.ApiClient(token);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => (i % 2 == 0 ? a : b).CreateAsync(Day(2), "ORC", key)));

        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"Answered {response.StatusCode}");
            ids.Add((await JsonAsync(response)).GetProperty("id").GetGuid());
            response.Dispose();
        }
        Assert.Single(ids);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
    }
}
