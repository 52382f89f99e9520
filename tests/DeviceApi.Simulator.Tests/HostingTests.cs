using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Tests;

public sealed class HostingTests
{
    [Fact]
    public void OptionsAreBoundFromTheSimulatorSection()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Simulator:ClientId"] = "acme",
            ["Simulator:DeviceCount"] = "25",
            ["Simulator:UrlLifetime"] = "00:05:00",
            ["Simulator:DownloadBaseUrl"] = "https://files.example/results",
            ["Simulator:Faults:Quota"] = "120",
            ["Simulator:Faults:ServiceUnavailableRate"] = "0.1",
            ["Simulator:Faults:TokenExpiresEarlyAfter"] = "00:01:00",
        });

        builder.AddDeviceApiSimulator();
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<SimulatorOptions>>().Value;

        Assert.Equal("acme", options.ClientId);
        Assert.Equal(25, options.DeviceCount);
        Assert.Equal(TimeSpan.FromMinutes(5), options.UrlLifetime);
        Assert.Equal("https://files.example/results", options.DownloadBaseUrl);
        Assert.Equal(120, options.Faults.Quota);
        Assert.Equal(0.1, options.Faults.ServiceUnavailableRate);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Faults.TokenExpiresEarlyAfter);
    }

    [Theory]
    [InlineData("Simulator:DeviceCount", "0", "DeviceCount")]
    [InlineData("Simulator:UrlLifetime", "00:00:00", "UrlLifetime")]
    [InlineData("Simulator:DownloadBaseUrl", "/relative", "DownloadBaseUrl")]
    [InlineData("Simulator:Faults:LostRate", "1.5", "LostRate")]
    public async Task WrongSettingFailsAtStartWithItsName(string key, string value, string name)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [key] = value });
        builder.AddDeviceApiSimulator();
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(name, failure.Message, StringComparison.Ordinal);
    }
}
