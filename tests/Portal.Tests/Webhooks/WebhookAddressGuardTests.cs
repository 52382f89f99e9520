using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Webhooks;

namespace Portal.Tests.Webhooks;

public class WebhookAddressGuardTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.5")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    public void InternalAddressesAreRecognised(string address) =>
        Assert.True(WebhookAddressGuard.IsInternal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700:4700::1111")]
    public void PublicAddressesPass(string address) =>
        Assert.False(WebhookAddressGuard.IsInternal(IPAddress.Parse(address)));

    /// <summary>The review's accepted forms and one of every transition prefix, as a user would type them.</summary>
    public static TheoryData<string> RefusedUrls => new()
    {
        "https://[::127.0.0.1]/",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://[64:ff9b:1::a00:1]/",
        "https://[2002:a9fe:a9fe::1]/",
        "https://[2001::a9fe:a9fe]/",
        "https://198.18.0.1/",
        "https://0.1.2.3/",
        "https://100.64.0.1/",
        "https://255.255.255.255/",
        "https://[ff02::1]/",
        "https://[::ffff:0:7f00:1]/",
    };

    [Theory]
    [MemberData(nameof(RefusedUrls))]
    public async Task RegistrationRefusesEveryInternalForm(string url)
    {
        var guard = new WebhookAddressGuard(Options.Create(new WebhookOptions()));

        var problem = await guard.CheckAsync(url, TestContext.Current.CancellationToken);

        Assert.NotNull(problem);
        Assert.Contains("public addresses only", problem, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RefusedUrls))]
    public async Task TheWebhookClientRefusesEveryInternalFormAtConnect(string url)
    {
        // The client the sender uses, as the portal registers it: the refusal comes from its connect callback.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.AddWebhooks();
        using var services = builder.Services.BuildServiceProvider();
        using var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(WebhookSender.HttpClientName);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.PostAsync(url, new StringContent("{}"), TestContext.Current.CancellationToken));

        Assert.IsType<WebhookAddressRefusedException>(error.InnerException ?? error);
    }
}
