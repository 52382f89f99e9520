using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests.Contract;

public sealed class TokenTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TokenForFormCredentialsIsABearerTokenWithItsLifetime()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.TokenLifetime = TimeSpan.FromMinutes(10), authorize: false);

        using var response = await simulator.RequestTokenAsync("grant_type=client_credentials&client_id=portal&client_secret=portal-secret&scope=devices.status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("access_token").GetString()));
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(600, body.GetProperty("expires_in").GetInt32());
    }

    [Fact]
    public async Task TokenAcceptsHttpBasicCredentialsAndNoScope()
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("portal:portal-secret")));

        using var response = await simulator.RequestTokenAsync("grant_type=client_credentials", basic);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        simulator.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        using var status = await simulator.GetStatusResponseAsync(Guid.NewGuid());
        Assert.Equal(HttpStatusCode.NotFound, status.StatusCode);
    }

    [Fact]
    public async Task ConfiguredClientCredentialsReplaceTheDemoClient()
    {
        await using var simulator = await TestSimulator.StartAsync(o => (o.ClientId, o.ClientSecret) = ("other", "s3cret"), authorize: false);

        using var demo = await simulator.RequestTokenAsync("grant_type=client_credentials&client_id=portal&client_secret=portal-secret");
        using var configured = await simulator.RequestTokenAsync("grant_type=client_credentials&client_id=other&client_secret=s3cret");

        Assert.Equal(HttpStatusCode.Unauthorized, demo.StatusCode);
        Assert.Equal(HttpStatusCode.OK, configured.StatusCode);
    }

    [Theory]
    [InlineData("grant_type=client_credentials&client_id=portal&client_secret=wrong")]
    [InlineData("grant_type=client_credentials&client_id=nobody&client_secret=portal-secret")]
    [InlineData("grant_type=client_credentials")]
    public async Task TokenWithWrongClientCredentialsIs401InvalidClient(string form)
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);

        using var response = await simulator.RequestTokenAsync(form);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task TokenWithWrongBasicCredentialsIs401WithBasicChallenge()
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("portal:nope")));

        using var response = await simulator.RequestTokenAsync("grant_type=client_credentials", basic);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("grant_type=password&client_id=portal&client_secret=portal-secret", "unsupported_grant_type")]
    [InlineData("grant_type=authorization_code&client_id=portal&client_secret=portal-secret", "unsupported_grant_type")]
    [InlineData("client_id=portal&client_secret=portal-secret", "invalid_request")]
    [InlineData("grant_type=client_credentials&client_id=portal&client_secret=portal-secret&scope=admin", "invalid_scope")]
    public async Task TokenRequestErrorsAre400InTheOAuthForm(string form, string error)
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);

        using var response = await simulator.RequestTokenAsync(form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(error, body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task V3CallWithoutTokenIs401WithBearerChallenge()
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);

        using var submit = await simulator.SubmitAsync(TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddHours(1)));
        using var status = await simulator.GetStatusResponseAsync(Guid.NewGuid());

        foreach (var response in new[] { submit, status })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task V3CallWithWrongTokenIs401InvalidToken()
    {
        await using var simulator = await TestSimulator.StartAsync();
        var token = simulator.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        simulator.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^2] + (token[^2..] == "AA" ? "BB" : "AA"));

        using var response = await simulator.GetStatusResponseAsync(Guid.NewGuid());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task TokenExpiresAfterItsLifetime()
    {
        var time = TestClock.New(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        await using var simulator = await TestSimulator.StartAsync(o => o.TokenLifetime = TimeSpan.FromMinutes(5), time);

        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        using var before = await simulator.GetStatusResponseAsync(Guid.NewGuid());
        time.Advance(TimeSpan.FromSeconds(1));
        using var after = await simulator.GetStatusResponseAsync(Guid.NewGuid());

        Assert.Equal(HttpStatusCode.NotFound, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("Bearer error=\"invalid_token\"", after.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task TokenExpiringEarlyFaultCutsTokensShortOfExpiresIn()
    {
        var time = TestClock.New(new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero));
        await using var simulator = await TestSimulator.StartAsync(o => o.Faults.TokenExpiresEarlyAfter = TimeSpan.FromSeconds(30), time, authorize: false);

        using var tokenResponse = await simulator.RequestTokenAsync("grant_type=client_credentials&client_id=portal&client_secret=portal-secret");
        var body = await tokenResponse.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        simulator.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        time.Advance(TimeSpan.FromSeconds(31));
        using var response = await simulator.GetStatusResponseAsync(Guid.NewGuid());

        Assert.Equal(3600, body.GetProperty("expires_in").GetInt32());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TokenRequestThatIsNotAFormIs400InvalidRequest()
    {
        await using var simulator = await TestSimulator.StartAsync(authorize: false);

        using var response = await simulator.Http.PostAsync(
            "oauth2/token",
            new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json"),
            Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
    }
}
