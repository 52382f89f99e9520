using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>Every API error a script can cause with its request is problem+json with the right status.</summary>
public class ApiErrorTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("/api/v1/webhooks", "text/plain")]
    [InlineData("/api/v1/webhooks", "application/x-www-form-urlencoded")]
    [InlineData("/api/v1/schedules", "text/plain")]
    [InlineData("/api/v1/exports", "text/plain")]
    public async Task AWrongContentTypeWithAValidTokenIs415NotUnauthorized(string path, string contentType)
    {
        using var client = await portal.ApiClientForAsync(User("Uma"));

        using var response = await client.PostAsync(path, new StringContent("url=https://hooks.example.com/", Encoding.UTF8, contentType), Cancellation);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal(415, problem.GetProperty("status").GetInt32());
        Assert.Contains("application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWrongContentTypeWithoutATokenIsStillUnauthorized()
    {
        using var client = portal.ApiClient(token: null);

        using var response = await client.PostAsync("/api/v1/webhooks", new StringContent("x", Encoding.UTF8, "text/plain"), Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/api/v1/webhooks")]
    [InlineData("/api/v1/schedules")]
    [InlineData("/api/v1/exports")]
    public async Task MalformedJsonIsA400Problem(string path)
    {
        using var client = await portal.ApiClientForAsync(User("Mia"));

        using var response = await client.PostAsync(path, new StringContent("{\"url\": ", Encoding.UTF8, "application/json"), Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, (await JsonAsync(response)).GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task AMethodTheRouteDoesNotHaveIsA405ProblemForATokenHolder()
    {
        using var client = await portal.ApiClientForAsync(User("Max"));

        using var response = await client.PutAsync("/api/v1/webhooks", JsonContent.Create(new { url = "https://hooks.example.com/" }), Cancellation);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("every minute\r\nBcc: x@evil.example")]
    [InlineData("tab\there")]
    [InlineData("right-to-left \u202Eexe.txt")]
    public async Task AScheduleNameWithControlCharactersIsRefusedNamingTheField(string name)
    {
        using var client = await portal.ApiClientForAsync(User("Cleo"));

        using var response = await client.PostAsJsonAsync("/api/v1/schedules",
            new { name, format = "CSV", range = "previous-day", recurrence = "daily", time = "02:30", timeZone = "UTC" }, Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await JsonAsync(response)).GetProperty("errors");
        Assert.Equal("The schedule's name may not contain line breaks, tabs or other control characters.", errors.GetProperty("name")[0].GetString());
    }

    [Theory]
    [InlineData("deploy\r\nscript")]
    [InlineData("bell\u0007")]
    public async Task ATokenNameWithControlCharactersIsRefusedNamingTheField(string name)
    {
        var tokens = portal.Services.GetRequiredService<AccessTokens>();

        var creation = await tokens.CreateAsync(User("Tim"), name, DateTimeOffset.UtcNow.AddDays(1), Cancellation);

        Assert.Null(creation.Secret);
        Assert.Equal("The token's name may not contain line breaks, tabs or other control characters.", creation.Error);
    }
}
