using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Portal.IntegrationTests.Security;

public class LimitsTests(PortalFactory development, EntraPortalFactory production) : IClassFixture<PortalFactory>, IClassFixture<EntraPortalFactory>
{
    [Fact]
    public void CircuitsShowDetailedErrorsInDevelopmentOnly()
    {
        Assert.True(development.Services.GetRequiredService<IOptions<CircuitOptions>>().Value.DetailedErrors);
        Assert.False(production.Services.GetRequiredService<IOptions<CircuitOptions>>().Value.DetailedErrors);
        Assert.False(production.Services.GetRequiredService<IOptions<HubOptions>>().Value.EnableDetailedErrors);
    }

    [Fact]
    public void CircuitAndHubMessageLimitsAreTheConfiguredOnes()
    {
        var circuitHub = Type.GetType("Microsoft.AspNetCore.Components.Server.ComponentHub, Microsoft.AspNetCore.Components.Server", throwOnError: true)!;
        var circuitHubOptions = (IOptions<HubOptions>)production.Services.GetRequiredService(
            typeof(IOptions<>).MakeGenericType(typeof(HubOptions<>).MakeGenericType(circuitHub)));
        var circuit = production.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;

        Assert.Equal(32 * 1024, circuitHubOptions.Value.MaximumReceiveMessageSize);
        Assert.Equal(8 * 1024, production.Services.GetRequiredService<IOptions<HubOptions>>().Value.MaximumReceiveMessageSize);
        Assert.Equal(TimeSpan.FromMinutes(3), circuit.DisconnectedCircuitRetentionPeriod);
        Assert.Equal(100, circuit.DisconnectedCircuitMaxRetained);
    }

    [Fact]
    public void AWrongSecuritySettingStopsTheStartAndNamesIt()
    {
        using var factory = new PortalFactory().WithWebHostBuilder(builder => builder.UseSetting("Security:RevalidationInterval", "00:00:00"));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        Assert.Contains("RevalidationInterval", error.ToString(), StringComparison.Ordinal);
    }
}
