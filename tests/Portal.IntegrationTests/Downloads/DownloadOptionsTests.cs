using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.IntegrationTests.Downloads;

public class DownloadOptionsTests
{
    [Fact]
    public void ProxyModeWithoutAllowedHostsStopsTheStartWithTheSettingsName()
    {
        using var factory = new DownloadsFactory();
        factory.Settings["Downloads:Mode"] = "Proxy";

        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains("Downloads:AllowedHosts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RedirectIsTheDefault()
    {
        using var factory = new DownloadsFactory();

        var options = factory.Services.GetRequiredService<IOptions<Portal.Downloads.DownloadOptions>>().Value;

        Assert.Equal(Portal.Downloads.DownloadMode.Redirect, options.Mode);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Timeout);
    }
}
