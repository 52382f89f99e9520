using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal itself, outside Development, with the key ring's certificate taken away.</summary>
public class KeyRingStartTests
{
    [Theory]
    [InlineData("Staging")]
    [InlineData("Production")]
    public void AKeyRingInClearStopsTheStartAndSaysWhichSettingToSet(string environment)
    {
        using var entra = new EntraPortalFactory();
        using var factory = entra.WithWebHostBuilder(builder => builder
            .UseEnvironment(environment)
            .UseSetting("Upstream:BaseUrl", "https://vendor.example.test/")
            .UseSetting("Upstream:ClientId", "portal")
            .UseSetting("Upstream:ClientSecret", "vendor-secret")
            .UseSetting("DataProtection:CertificatePath", ""));

        var error = Assert.ThrowsAny<Exception>(() => factory.Services);

        var messages = string.Join(" | ", ProductionWithoutEntraTests.Chain(error).Select(e => e.Message));
        Assert.Contains("The Data Protection key ring", messages, StringComparison.Ordinal);
        Assert.Contains("DataProtection:CertificatePath", messages, StringComparison.Ordinal);
        Assert.Contains("DataProtection:AllowUnprotectedKeys=true", messages, StringComparison.Ordinal);
    }

    [Fact]
    public void AcceptingTheRiskStartsAndTheCertificateIsNotNeeded()
    {
        using var entra = new EntraPortalFactory();
        using var factory = entra.WithWebHostBuilder(builder => builder
            .UseSetting("Upstream:BaseUrl", "https://vendor.example.test/")
            .UseSetting("Upstream:ClientId", "portal")
            .UseSetting("Upstream:ClientSecret", "vendor-secret")
            .UseSetting("DataProtection:CertificatePath", "")
            .UseSetting("DataProtection:AllowUnprotectedKeys", "true"));

        Assert.NotNull(factory.Services.GetRequiredService<Microsoft.AspNetCore.DataProtection.IDataProtectionProvider>());
    }
}
