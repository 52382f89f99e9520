using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DeviceStatus.Formats;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api;
using Portal.Exports;
using Portal.Testing;

namespace Portal.IntegrationTests.Api;

/// <summary>Tokens and calls of the API as a script makes them: a bearer token and the vendor's JSON.</summary>
internal static class ApiCalls
{
    public const string ExportsPath = "/api/v1/exports";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A personal access token of <paramref name="user"/>, created as the tokens page creates it.</summary>
    public static async Task<string> TokenForAsync(this PortalFactory portal, ExportUser user, int days = 1)
    {
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var creation = await tokens.CreateAsync(user, $"test token of {user.Name}", DateTimeOffset.UtcNow.AddDays(days), Cancellation);
        Assert.Null(creation.Error);
        return creation.Secret!;
    }

    /// <summary>A client that sends <paramref name="token"/> (none when null) and does not follow redirects.</summary>
    public static HttpClient ApiClient(this PortalFactory portal, string? token)
    {
        var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public static async Task<HttpClient> ApiClientForAsync(this PortalFactory portal, ExportUser user) =>
        portal.ApiClient(await portal.TokenForAsync(user));

    public static object Body(TimeRange range, string format = "CSV") => new
    {
        timerange = new { from = Rfc3339.Format(range.From), to = Rfc3339.Format(range.To) },
        fileformat = format,
    };

    public static async Task<HttpResponseMessage> CreateAsync(this HttpClient client, TimeRange range, string format = "CSV", string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ExportsPath) { Content = JsonContent.Create(Body(range, format)) };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        return await client.SendAsync(request, Cancellation);
    }

    /// <summary>Creates an export and returns its id, failing unless it was created (201).</summary>
    public static async Task<Guid> CreatedIdAsync(this HttpClient client, TimeRange range, string format = "CSV")
    {
        using var response = await client.CreateAsync(range, format);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await JsonAsync(response)).GetProperty("id").GetGuid();
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        return document.RootElement.Clone();
    }

    /// <summary>Polls <c>GET /api/v1/exports/{id}</c> as a script would until its status is <paramref name="status"/>.</summary>
    public static Task<JsonElement> WaitForStatusAsync(this HttpClient client, Guid id, string status) =>
        Eventually.ReturnsAsync(
            async () =>
            {
                using var response = await client.GetAsync($"{ExportsPath}/{id}", Cancellation);
                return await JsonAsync(response);
            },
            export => export.GetProperty("status").GetString() == status,
            $"export {id} to be {status}",
            lastSeen: export => $"it is {export.GetProperty("status")}");

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/> and returns it.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    public static string Iso(int value) => value.ToString(CultureInfo.InvariantCulture);
}
