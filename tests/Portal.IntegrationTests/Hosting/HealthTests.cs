using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portal.Testing;

namespace Portal.IntegrationTests.Hosting;

public class HealthTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithoutTheDatabaseThePortalIsLiveButNotReady()
    {
        await using var portal = await PortalFactory.StartAsync();
        using var client = portal.CreateClient();
        await WaitForReadyAsync(client);

        if (TestDatabases.IsPostgreSql)
        {
            TestDatabases.Drop(portal.DatabasePath);
        }
        else
        {
            // A folder where the file was: SQLite can neither open nor recreate it. The portal's background services
            // keep reading, so one of them may recreate the file between the delete and the folder: try again.
            for (var attempt = 1; !Directory.Exists(portal.DatabasePath); attempt++)
            {
                SqliteConnection.ClearAllPools();
                foreach (var file in new[] { portal.DatabasePath, portal.DatabasePath + "-wal", portal.DatabasePath + "-shm" })
                {
                    File.Delete(file);
                }
                try
                {
                    Directory.CreateDirectory(portal.DatabasePath);
                }
                catch (IOException) when (attempt < 20)
                {
                }
            }

            // A connection a background service had open before the delete still reads the deleted file; once back in
            // the pool it would serve the check below. Clearing the pools now closes every connection on return.
            SqliteConnection.ClearAllPools();
        }

        using var live = await client.GetAsync("/health/live", Cancellation);
        var ready = await Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await client.GetAsync("/health/ready", Cancellation);
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Cancellation));
            },
            answer => answer.StatusCode == HttpStatusCode.ServiceUnavailable,
            "the portal to report the missing database",
            lastSeen: answer => answer.Body);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var body = JsonDocument.Parse(ready.Body);
        Assert.Equal("NotReady", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Unhealthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnUnreachableUpstreamIsReportedButLeavesThePortalReady()
    {
        // Nothing listens there, so the portal never gets a token.
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Upstream:BaseUrl"] = "http://127.0.0.1:9/" });
        using var client = portal.CreateClient();
        await WaitForReadyAsync(client);

        using var ready = await client.GetAsync("/health/ready", Cancellation);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(Cancellation));
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("upstream").GetProperty("status").GetString());
        Assert.False(checks.GetProperty("upstream").GetProperty("required").GetBoolean());
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
    }

    [Fact]
    public async Task AnonymousCallersSeeOnlyStatusesWhileAnAdminAlsoSeesWhatFailed()
    {
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Upstream:BaseUrl"] = "http://127.0.0.1:9/" });
        using var anonymous = portal.CreateClient();
        await WaitForReadyAsync(anonymous);
        using var user = portal.CreateClient();
        user.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(Exports.ExportFlowTests.User("Hanna Health")));
        using var admin = portal.CreateClient();
        admin.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(Exports.ExportFlowTests.User("Ada Health", admin: true)));

        var upstreamForAdmin = await Eventually.ReturnsAsync(
            async () => (await ReadyBodyAsync(admin)).GetProperty("checks").GetProperty("upstream"),
            upstream => upstream.GetProperty("status").GetString() == "Unhealthy",
            "the upstream check to fail");
        var forAnonymous = await ReadyBodyAsync(anonymous);
        var forUser = await ReadyBodyAsync(user);

        Assert.Contains("cannot be reached", upstreamForAdmin.GetProperty("description").GetString(), StringComparison.Ordinal);
        foreach (var body in new[] { forAnonymous, forUser })
        {
            Assert.Equal("Ready", body.GetProperty("status").GetString());
            var checks = body.GetProperty("checks");
            Assert.Equal("Unhealthy", checks.GetProperty("upstream").GetProperty("status").GetString());
            Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
            Assert.All(checks.EnumerateObject(), check => Assert.False(check.Value.TryGetProperty("description", out _), $"{check.Name} shows its description"));
            Assert.DoesNotContain("cannot be reached", body.GetRawText(), StringComparison.Ordinal);
        }
    }

    private static async Task<JsonElement> ReadyBodyAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health/ready", Cancellation);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        return body.RootElement.Clone();
    }

    private static async Task WaitForReadyAsync(HttpClient client) =>
        await Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await client.GetAsync("/health/ready", Cancellation);
                return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Cancellation));
            },
            answer => answer.StatusCode == HttpStatusCode.OK,
            "the portal to become ready",
            lastSeen: answer => answer.Body);
}
