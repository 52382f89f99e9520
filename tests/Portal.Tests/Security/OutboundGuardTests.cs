using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http;
using Portal.Security;

namespace Portal.Tests.Security;

public sealed class OutboundGuardTests : IDisposable
{
    private readonly StubHandler _upstream = new();
    private readonly ServiceProvider _services;

    public OutboundGuardTests()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Security:Outbound:download:AllowedHosts:0"] = "files.example.test",
            ["Security:Outbound:download:AllowedHosts:1"] = "*.blob.example.test",
            ["Security:Outbound:download:MaxResponseBytes"] = "10",
            ["Security:Outbound:download:Timeout"] = "00:00:01",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddLogging();
        services.AddHttpClient("download")
            .AddOutboundGuard((options, _) => options.AllowedHosts.Add("http://localhost:5057"))
            .ConfigurePrimaryHttpMessageHandler(() => _upstream);
        services.AddHttpClient("plain").AddOutboundGuard((options, _) => options.AllowedHosts.Add("files.example.test"));
        _services = services.BuildServiceProvider();
    }

    private HttpClient Client => _services.GetRequiredService<IHttpClientFactory>().CreateClient("download");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://files.example.test/exports/1.csv?signature=abc")]
    [InlineData("https://FILES.example.test:443/x")]
    [InlineData("https://acct.blob.example.test/x")]
    [InlineData("http://localhost:5057/simulator/v3/devices/status")]
    public async Task CallsAllowedHosts(string url)
    {
        _upstream.Respond = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("ok") };

        var body = await Client.GetStringAsync(url, Token);

        Assert.Equal("ok", body);
        Assert.Equal(1, _upstream.Calls);
    }

    [Theory]
    [InlineData("https://evil.example/x")]
    [InlineData("https://files.example.test.evil.example/x")]
    [InlineData("https://blob.example.test/x")]
    [InlineData("http://files.example.test/x")]
    [InlineData("https://user:pass@files.example.test/x")]
    [InlineData("http://localhost:6000/x")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    public async Task RefusesEveryOtherHostBeforeSendingAnything(string url)
    {
        var error = await Assert.ThrowsAsync<OutboundRequestRefusedException>(() => Client.GetAsync(url, Token));

        Assert.Equal(0, _upstream.Calls);
        Assert.DoesNotContain("?", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HandsRedirectsBackInsteadOfFollowingThem()
    {
        _upstream.Respond = () => new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri("https://evil.example/") } };

        using var response = await Client.GetAsync("https://files.example.test/x", Token);

        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        Assert.Equal(1, _upstream.Calls);
    }

    [Fact]
    public void TheRealHandlerFollowsNoRedirects()
    {
        var handler = _services.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler("plain");
        while (handler is DelegatingHandler delegating)
        {
            handler = delegating.InnerHandler!;
        }

        var sockets = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.False(sockets.AllowAutoRedirect);
    }

    [Fact]
    public async Task RefusesABodyDeclaredLargerThanTheCap()
    {
        _upstream.Respond = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[11]) };

        await Assert.ThrowsAsync<OutboundRequestRefusedException>(() =>
            Client.GetAsync("https://files.example.test/x", HttpCompletionOption.ResponseHeadersRead, Token));
    }

    [Fact]
    public async Task StopsReadingAnUndeclaredBodyAtTheCap()
    {
        _upstream.Respond = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new UnknownLengthStream(new byte[64])) };
        using var response = await Client.GetAsync("https://files.example.test/x", HttpCompletionOption.ResponseHeadersRead, Token);
        await using var body = await response.Content.ReadAsStreamAsync(Token);

        await Assert.ThrowsAsync<OutboundRequestRefusedException>(() => body.CopyToAsync(Stream.Null, Token));
    }

    [Fact]
    public async Task GivesUpOnAnUpstreamThatDoesNotAnswerInTime()
    {
        _upstream.Respond = null;

        await Assert.ThrowsAsync<TimeoutException>(() => Client.GetAsync("https://files.example.test/x", Token));
    }

    public void Dispose() => _services.Dispose();

    private sealed class StubHandler : HttpMessageHandler
    {
        public Func<HttpResponseMessage>? Respond { get; set; } = () => new HttpResponseMessage(HttpStatusCode.OK);

        public int Calls { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            if (Respond is null)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            return Respond!();
        }
    }

    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
