using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Portal.Notifications;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Notifications;

/// <summary>A page of another origin cannot open the hub (or a Blazor circuit) with the signed-in user's cookie.</summary>
public class HubOriginTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private const string ForeignOrigin = "https://evil.example";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>The origin of the portal's own pages on the test server.</summary>
    private string OwnOrigin => portal.Server.BaseAddress.GetLeftPart(UriPartial.Authority);

    private HubConnection LongPolling(string origin) => new HubConnectionBuilder()
        .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
        {
            options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
            options.Transports = HttpTransportType.LongPolling;
            options.Headers[TestAuthentication.Header] = TestAuthentication.For(User("Olga Origin"));
            options.Headers["Origin"] = origin;
        })
        .Build();

    /// <summary>A WebSocket straight to the hub (no negotiate), its upgrade request carrying the browser's <c>Origin</c>.</summary>
    private HubConnection WebSocket(string origin) => new HubConnectionBuilder()
        .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
        {
            options.Transports = HttpTransportType.WebSockets;
            options.SkipNegotiation = true;
            options.WebSocketFactory = async (context, token) =>
            {
                var client = portal.Server.CreateWebSocketClient();
                client.ConfigureRequest = request =>
                {
                    request.Headers.Origin = origin;
                    request.Headers[TestAuthentication.Header] = TestAuthentication.For(User("Wolf WebSocket"));
                };
                return await client.ConnectAsync(context.Uri, token);
            };
        })
        .Build();

    [Fact]
    public async Task ANegotiateFromAForeignPageIsRefusedAndOneFromThePortalsOwnPagesConnects()
    {
        await using var foreign = LongPolling(ForeignOrigin);
        await using var own = LongPolling(OwnOrigin);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => foreign.StartAsync(Cancellation));
        await own.StartAsync(Cancellation);

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HubConnectionState.Connected, own.State);
    }

    [Fact]
    public async Task AWebSocketFromAForeignPageIsRefusedAndOneFromThePortalsOwnPagesConnects()
    {
        await using var foreign = WebSocket(ForeignOrigin);
        await using var own = WebSocket(OwnOrigin);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => foreign.StartAsync(Cancellation));
        await own.StartAsync(Cancellation);

        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
        Assert.Equal(HubConnectionState.Connected, own.State);
        Assert.Equal(HubConnectionState.Disconnected, foreign.State);
    }

    [Theory]
    [InlineData(ExportsHub.Path + "/negotiate?negotiateVersion=1")]
    [InlineData(HubOriginCheck.BlazorPath + "/negotiate?negotiateVersion=1")]
    public async Task AForeignOriginIsRefusedBeforeAnythingElseOnTheHubAndTheCircuitPaths(string path)
    {
        using var client = portal.CreateClient();
        client.DefaultRequestHeaders.Add(TestAuthentication.Header, TestAuthentication.For(User("Nora Negotiate")));
        foreach (var origin in new[] { ForeignOrigin, "http://localhost.evil.example", "http://localhost:8080", "null" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path);
            request.Headers.Add("Origin", origin);

            using var response = await client.SendAsync(request, Cancellation);

            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{origin} on {path}: {response.StatusCode}");
        }
    }
}
