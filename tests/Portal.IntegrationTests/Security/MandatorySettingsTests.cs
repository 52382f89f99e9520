using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

/// <summary>Outside Development the start names every missing or unsafe mandatory setting at once, the tenant included.</summary>
public class MandatorySettingsTests
{
    [Theory]
    [InlineData("common")]
    [InlineData("organizations")]
    [InlineData("consumers")]
    public void AMultiTenantAuthorityStopsAProductionStartNamingTheSetting(string tenant)
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder
            .UseSetting("Upstream:BaseUrl", "https://vendor.example.test/")
            .UseSetting("Upstream:ClientSecret", "vendor-secret")
            .UseSetting("AzureAd:TenantId", tenant));

        var messages = StartFailure(factory);

        Assert.Contains($"AzureAd:TenantId is '{tenant}', which lets accounts of any tenant sign in", messages, StringComparison.Ordinal);
        Assert.Contains("1 setting needs fixing", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void ATenantNameInsteadOfItsIdIsRefusedToo()
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder
            .UseSetting("Upstream:BaseUrl", "https://vendor.example.test/")
            .UseSetting("Upstream:ClientSecret", "vendor-secret")
            .UseSetting("AzureAd:TenantId", "contoso.onmicrosoft.com"));

        Assert.Contains("AzureAd:TenantId is 'contoso.onmicrosoft.com', not a directory (tenant) ID", StartFailure(factory), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryMissingSettingIsNamedInOneFailure()
    {
        using var factory = new PortalFactory().WithWebHostBuilder(builder => builder.UseEnvironment("Production"));

        var messages = StartFailure(factory);

        Assert.Contains("The portal cannot start in Production: 7 settings need fixing.", messages, StringComparison.Ordinal);
        Assert.Contains("AzureAd:ClientId is empty", messages, StringComparison.Ordinal);
        Assert.Contains("AzureAd:TenantId is empty", messages, StringComparison.Ordinal);
        Assert.Contains("AzureAd:ClientSecret is empty", messages, StringComparison.Ordinal);
        Assert.Contains("Upstream:BaseUrl is empty", messages, StringComparison.Ordinal);
        Assert.Contains("Upstream:ClientSecret is empty", messages, StringComparison.Ordinal);
        Assert.Contains("ForwardedHeaders:KnownProxies and ForwardedHeaders:KnownNetworks are empty", messages, StringComparison.Ordinal);
        Assert.Contains("The Data Protection key ring (it protects session cookies and antiforgery tokens) would be stored unencrypted", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void WithEverySettingInPlaceProductionStartsPinnedToTheTenant()
    {
        using var factory = new EntraPortalFactory().WithWebHostBuilder(builder => builder
            .UseSetting("Upstream:BaseUrl", "https://vendor.example.test/")
            .UseSetting("Upstream:ClientSecret", "vendor-secret"));

        Assert.Equal(Guid.Parse(EntraPortalFactory.TenantId), factory.Services.GetRequiredService<EntraTenant>().Id);
    }

    private static string StartFailure(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> factory)
    {
        var error = Assert.ThrowsAny<Exception>(() => factory.Services);
        return string.Join(" | ", ProductionWithoutEntraTests.Chain(error).Select(e => e.Message));
    }
}
