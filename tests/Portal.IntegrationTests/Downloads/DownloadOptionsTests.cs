using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Downloads;
using Portal.Security;

namespace Portal.IntegrationTests.Downloads;

public class DownloadOptionsTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public void RedirectIsTheDefault()
    {
        var options = portal.Services.GetRequiredService<IOptions<DownloadOptions>>().Value;

        Assert.Equal(DownloadMode.Redirect, options.Mode);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
    }

    [Fact]
    public void WithoutFileHostsTheDownloadClientMayCallTheUpstreamOnlyAndStreamsWithoutASizeCap()
    {
        var guard = portal.Services.GetRequiredService<IOptionsMonitor<OutboundGuardOptions>>().Get(DownloadEndpoints.HttpClientName);

        Assert.Equal([portal.Simulator.BaseAddress.GetLeftPart(UriPartial.Authority)], guard.AllowedHosts);
        Assert.Equal(long.MaxValue, guard.MaxResponseBytes);
    }

    [Fact]
    public async Task ConfiguredFileHostsReplaceTheUpstreamsHosts()
    {
        await using var files = await PortalFactory.StartAsync(
            simulator: portal.Simulator,
            settings: new Dictionary<string, string?> { ["Downloads:AllowedHosts:0"] = "*.files.example.test" });

        var guard = files.Services.GetRequiredService<IOptionsMonitor<OutboundGuardOptions>>().Get(DownloadEndpoints.HttpClientName);

        Assert.Equal(["*.files.example.test"], guard.AllowedHosts);
    }
}
