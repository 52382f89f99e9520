using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests;

/// <summary>A simulator on a loopback port with a client that speaks the contract, set up for fast tests.</summary>
internal sealed class TestSimulator : IAsyncDisposable
{
    /// <summary>A whole day safely in the past of any clock the tests use.</summary>
    public static readonly DateTime Day = new(2026, 11, 27, 0, 0, 0, DateTimeKind.Utc);

    private TestSimulator(SimulatorServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public SimulatorServer Server { get; }

    public HttpClient Http { get; }

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>Starts a simulator with 3 devices and no preparation delays, then <paramref name="configure"/>.</summary>
    public static async Task<TestSimulator> StartAsync(
        Action<SimulatorOptions>? configure = null, TimeProvider? time = null, string pathPrefix = "", bool authorize = true)
    {
        var server = await SimulatorServer.StartAsync(
            options =>
            {
                options.DeviceCount = 3;
                options.QueueDelay = TimeSpan.Zero;
                options.MinimumPreparationTime = TimeSpan.Zero;
                configure?.Invoke(options);
            },
            time,
            pathPrefix,
            Cancellation);
        var simulator = new TestSimulator(server);
        if (authorize)
        {
            simulator.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await simulator.GetTokenAsync());
        }

        return simulator;
    }

    public Task<HttpResponseMessage> RequestTokenAsync(string form, AuthenticationHeaderValue? authorization = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "oauth2/token")
        {
            Content = new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = authorization;
        return Http.SendAsync(request, Cancellation);
    }

    public async Task<string> GetTokenAsync()
    {
        using var response = await RequestTokenAsync("grant_type=client_credentials&client_id=portal&client_secret=portal-secret&scope=devices.status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        return body.GetProperty("access_token").GetString()!;
    }

    public Task<HttpResponseMessage> SubmitAsync(string json) =>
        Http.PostAsync("v3/devices/status", new StringContent(json, Encoding.UTF8, "application/json"), Cancellation);

    public static string Body(DateTime from, DateTime to, string? format = "CSV") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["timerange"] = new { from = from.ToString("O"), to = to.ToString("O") },
            ["fileformat"] = format,
        });

    /// <summary>Submits and returns the request uuid, asserting the 202.</summary>
    public async Task<Guid> SubmitAsync(DateTime from, DateTime to, string format = "CSV")
    {
        using var response = await SubmitAsync(Body(from, to, format));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        return body.GetProperty("request_uuid").GetGuid();
    }

    public Task<HttpResponseMessage> GetStatusResponseAsync(Guid id) => Http.GetAsync($"v3/devices/status/{id}", Cancellation);

    public async Task<JsonElement> GetStatusAsync(Guid id)
    {
        using var response = await GetStatusResponseAsync(id);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
    }

    /// <summary>Polls the status until it is <paramref name="status"/>; fails with the last answer after the ceiling.</summary>
    public Task<JsonElement> WaitForStatusAsync(Guid id, string status, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(
            () => GetStatusAsync(id),
            body => body.GetProperty("status").GetString() == status,
            $"request {id} to reach {status}",
            timeout,
            body => body.ToString());

    /// <summary>A download URL from a status answer, as a request to this server (the URL's host may differ).</summary>
    public HttpRequestMessage DownloadRequest(string url)
    {
        var uri = new Uri(url);
        return new HttpRequestMessage(HttpMethod.Get, new Uri(Server.BaseAddress, uri.PathAndQuery));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
