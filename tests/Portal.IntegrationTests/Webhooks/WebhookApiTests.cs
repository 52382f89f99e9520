using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Downloads;
using Portal.IntegrationTests.Security;
using Portal.Testing;
using Portal.Webhooks;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

using Portal.IntegrationTests.Api;

namespace Portal.IntegrationTests.Webhooks;

/// <summary>Webhooks over the API, delivered to a real receiver on a loopback port (allowed in Development).</summary>
public class WebhookApiTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static readonly string[] UnknownEvents = ["export.exploded"];
    private static readonly string[] CompletedEvent = ["export.completed"];
    private static readonly string[] FailedEvent = ["export.failed"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AReceiverDownForThreeAttemptsGetsTheEventOnceBackWithTheSameIdAndAVerifiableSignature()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 3);
        var owner = User("Wanda Webhook");
        using var client = await portal.ApiClientForAsync(owner);
        var (webhookId, secret) = await RegisterAsync(client, receiver.Url, "export.completed");

        var exportId = await portal.CompletedExportAsync(owner);

        var delivered = await receiver.WaitForAsync(r => r.AnsweredWith == 204);
        var attempts = receiver.Received;
        Assert.Equal(4, attempts.Count);
        Assert.Equal([503, 503, 503, 204], attempts.Select(a => a.AnsweredWith));
        Assert.All(attempts, a => Assert.Equal(delivered.Id, a.Id));
        Assert.All(attempts, a => Assert.Equal(delivered.Body, a.Body));
        Assert.StartsWith("msg_", delivered.Id, StringComparison.Ordinal);
        delivered.Verify(secret);
        using var json = JsonDocument.Parse(delivered.Body);
        Assert.Equal("export.completed", json.RootElement.GetProperty("type").GetString());
        Assert.True(json.RootElement.TryGetProperty("timestamp", out _));
        var data = json.RootElement.GetProperty("data");
        Assert.Equal(exportId, data.GetProperty("id").GetGuid());
        Assert.Equal("Completed", data.GetProperty("status").GetString());
        Assert.Equal("CSV", data.GetProperty("format").GetString());
        Assert.DoesNotContain("http://127.0.0.1", delivered.Body.Replace(receiver.Url.ToString(), "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The owner reads the delivery log: three failures with their next attempt, then the delivery.
        var details = await WaitForLogAsync(client, webhookId, entries => entries == 4);
        var log = details.GetProperty("log").EnumerateArray().Reverse().ToList();
        Assert.Equal([503, 503, 503, 204], log.Select(e => e.GetProperty("statusCode").GetInt32()));
        Assert.All(log.Take(3), e => Assert.Equal(JsonValueKind.String, e.GetProperty("nextAttemptAt").ValueKind));
        Assert.False(log[3].TryGetProperty("nextAttemptAt", out var next) && next.ValueKind != JsonValueKind.Null);
        Assert.Equal("Delivered", details.GetProperty("deliveries")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task AnotherUsersWebhookIsNotFoundForListReadDeleteTestAndRotate()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = await portal.ApiClientForAsync(User("Otto Owner"));
        using var other = await portal.ApiClientForAsync(User("Ingrid Intruder"));
        var (id, _) = await RegisterAsync(owner, receiver.Url, "export.completed");

        var list = await other.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Cancellation);
        Assert.Equal(0, list.GetArrayLength());
        foreach (var response in new[]
        {
            await other.GetAsync($"/api/v1/webhooks/{id}", Cancellation),
            await other.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation),
            await other.PostAsync($"/api/v1/webhooks/{id}/rotate-secret", null, Cancellation),
            await other.DeleteAsync($"/api/v1/webhooks/{id}", Cancellation),
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"/api/v1/webhooks/{id}", Cancellation)).StatusCode);
        Assert.Equal(1, (await owner.GetFromJsonAsync<JsonElement>("/api/v1/webhooks", Cancellation)).GetArrayLength());
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task ARotatedSecretAndTheOldOneBothVerifyDuringTheOverlap()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await portal.ApiClientForAsync(User("Rita Rotate"));
        var (id, oldSecret) = await RegisterAsync(client, receiver.Url, "export.completed");

        var rotated = await client.PostAsync($"/api/v1/webhooks/{id}/rotate-secret", null, Cancellation);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = (await rotated.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation)).StatusCode);

        var test = await receiver.WaitForAsync(r => r.Body.Contains("\"webhook.test\"", StringComparison.Ordinal));
        Assert.Equal(2, test.Signature!.Split(' ').Length);
        test.Verify(newSecret);
        test.Verify(oldSecret);
        Assert.ThrowsAny<Exception>(() => test.Verify(WebhookSigning.NewSecret()));
    }

    [Fact]
    public async Task RegistrationSaysWhatToFixForABadUrlOrUnknownEvents()
    {
        using var client = await portal.ApiClientForAsync(User("Vera Validate"));

        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = "ftp://example.com/x", events = UnknownEvents }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors");
        Assert.Contains("https", errors.GetProperty("url")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("export.exploded", errors.GetProperty("events")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOwnerChangesAnEndpointsEventsAndOnlyTheChosenEventsAreSentFromThen()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var owner = User("Edda Edit");
        using var client = await portal.ApiClientForAsync(owner);
        var (id, _) = await RegisterAsync(client, receiver.Url, "export.failed");

        var response = await client.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { events = CompletedEvent }, Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var changed = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(["export.completed"], changed.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var read = await client.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}", Cancellation);
        Assert.Equal(["export.completed"], read.GetProperty("endpoint").GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var exportId = await portal.CompletedExportAsync(owner);
        var delivered = await receiver.WaitForAsync(r => r.Body.Contains(exportId.ToString(), StringComparison.Ordinal));
        Assert.Contains("\"export.completed\"", delivered.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChangingEventsSaysWhatToFixAndAnotherUsersEndpointIsNotFound()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var owner = await portal.ApiClientForAsync(User("Nora Nochange"));
        using var other = await portal.ApiClientForAsync(User("Ivo Intruder"));
        var (id, _) = await RegisterAsync(owner, receiver.Url, "export.completed");

        var none = await owner.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { events = Array.Empty<string>() }, Cancellation);
        var unknown = await owner.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { events = UnknownEvents }, Cancellation);
        var foreign = await other.PatchAsJsonAsync($"/api/v1/webhooks/{id}", new { events = FailedEvent }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Contains("Choose at least one event", (await none.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors").GetProperty("events")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("export.exploded", (await unknown.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors").GetProperty("events")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var read = await owner.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}", Cancellation);
        Assert.Equal(["export.completed"], read.GetProperty("endpoint").GetProperty("events").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ADeliveryReSentFromTheLogIsANewDeliveryOfTheSameEventThatTheReceiverGets()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var client = await portal.ApiClientForAsync(User("Remy Resend"));
        using var other = await portal.ApiClientForAsync(User("Olga Other"));
        var (id, secret) = await RegisterAsync(client, receiver.Url, "export.completed");
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation)).StatusCode);
        var first = await receiver.WaitForAsync(r => r.AnsweredWith == 204);
        var details = await WaitForLogAsync(client, id, entries => entries == 1);
        var deliveryId = details.GetProperty("log")[0].GetProperty("deliveryId").GetInt64();
        Assert.Equal(deliveryId, details.GetProperty("deliveries")[0].GetProperty("id").GetInt64());

        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend", null, Cancellation)).StatusCode);
        var response = await client.PostAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId}/resend", null, Cancellation);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var queued = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.NotEqual(deliveryId, queued.GetProperty("id").GetInt64());
        Assert.Equal("Pending", queued.GetProperty("state").GetString());
        var again = await receiver.WaitForAsync(r => r.AnsweredWith == 204 && r.Id != first.Id);
        Assert.Equal(first.Body, again.Body);
        again.Verify(secret);
        Assert.Equal(2, receiver.Received.Count);
        var after = await WaitForLogAsync(client, id, entries => entries == 2);
        Assert.Equal(2, after.GetProperty("deliveries").GetArrayLength());
        Assert.All(after.GetProperty("deliveries").EnumerateArray(), d => Assert.Equal("Delivered", d.GetProperty("state").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/webhooks/{id}/deliveries/{deliveryId + 1000}/resend", null, Cancellation)).StatusCode);
    }

    internal static async Task<(Guid Id, string Secret)> RegisterAsync(HttpClient client, Uri url, params string[] events)
    {
        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url = url.ToString(), events }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var id = body.GetProperty("id").GetGuid();
        Assert.EndsWith($"/api/v1/webhooks/{id}", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        return (id, secret);
    }

    private static Task<JsonElement> WaitForLogAsync(HttpClient client, Guid id, Func<int, bool> condition) =>
        Eventually.ReturnsAsync(
            () => client.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}", Cancellation),
            details => condition(details.GetProperty("log").GetArrayLength()),
            "the delivery log to reach the expected state",
            lastSeen: details => details.ToString());
}

/// <summary>Outside Development: receivers on loopback and link-local addresses are refused, at registration and at send time.</summary>
public class WebhookGuardTests(EntraPortalFactory portal) : IClassFixture<EntraPortalFactory>
{
    private static readonly string[] CompletedOnly = ["export.completed"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("http://hooks.example.com/hook")]
    public async Task RegistrationRefusesInternalAddressesAndPlainHttp(string url)
    {
        using var client = await ClientForAsync(User("Greta Guard"));

        var response = await client.PostAsJsonAsync("/api/v1/webhooks", new { url, events = CompletedOnly }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors").GetProperty("url")[0].GetString();
        Assert.Matches(url.StartsWith("http:", StringComparison.Ordinal) ? "must use https" : "loopback, link-local or private address", message);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.169.254")]
    public async Task AnEndpointThatNowPointsAtAnInternalAddressIsRefusedWhenSentAndNothingConnects(string address)
    {
        // A listener on a loopback port stands for the internal service; for the link-local address nothing
        // listens, and the refusal is the only answer that the log may show.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var owner = User("Rolf Rebind");
            var id = await InsertEndpointAsync(owner, $"https://{address}:{port}/hook");
            using var client = await ClientForAsync(owner);

            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/webhooks/{id}/test", null, Cancellation)).StatusCode);

            var entry = await WaitForFirstLogEntryAsync(client, id);
            Assert.StartsWith("Refused", entry.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains(address, entry.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.False(listener.Pending(), "a connection reached the internal address");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public void PrivateNetworksCannotBeAllowedOutsideDevelopment()
    {
        using var factory = portal.WithWebHostBuilder(b => b.UseSetting("Webhooks:AllowPrivateNetworks", "true"));

        var failure = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("Webhooks:AllowPrivateNetworks", failure.ToString(), StringComparison.Ordinal);
    }

    /// <summary>As if the name registered once resolved to a public address and now resolves to an internal one.</summary>
    private async Task<Guid> InsertEndpointAsync(ExportUser owner, string url)
    {
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(),
            OwnerId = owner.Id,
            Url = url,
            Events = "export.completed",
            Secret = WebhookSigning.NewSecret(),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(Cancellation);
        return endpoint.Id;
    }

    private static async Task<JsonElement> WaitForFirstLogEntryAsync(HttpClient client, Guid id)
    {
        var log = await Eventually.ReturnsAsync(
            async () => (await client.GetFromJsonAsync<JsonElement>($"/api/v1/webhooks/{id}", Cancellation)).GetProperty("log"),
            entries => entries.GetArrayLength() > 0,
            "an attempt to be logged");
        return log[log.GetArrayLength() - 1];
    }

    private Task<HttpClient> ClientForAsync(ExportUser user) => portal.ApiClientForAsync(user);
}
