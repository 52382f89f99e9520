using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Components.Layout;

namespace Portal.IntegrationTests;

public partial class ShellTests(PortalFactory factory) : IClassFixture<PortalFactory>
{
    [Fact]
    public void DevelopmentLoadsTheTopLevelSettingsFile()
    {
        var options = factory.Services.GetRequiredService<IOptions<PortalOptions>>().Value;

        Assert.Equal("Development", options.EnvironmentBanner);
    }

    [Fact]
    public async Task HomePageRendersWithMudBlazorAndThePortalsAssets()
    {
        using var client = factory.CreateClient();

        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);

        Assert.Contains("Device status exports", html, StringComparison.Ordinal);
        Assert.Matches(FingerprintedMudBlazorCss(), html);
        Assert.Contains("data-testid=\"environment-banner\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServesTheFingerprintedLogoFromTheTopLevelAssetsFolder()
    {
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/", TestContext.Current.CancellationToken);
        var logo = FingerprintedLogo().Match(html);
        Assert.True(logo.Success, "the layout links a fingerprinted logo");

        using var response = await client.GetAsync(logo.Value, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task UnknownPathsShowTheNotFoundPage()
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/no-such-page", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Not found", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"_content/MudBlazor/MudBlazor\.min\.[a-z0-9]{6,}\.css")]
    private static partial Regex FingerprintedMudBlazorCss();

    [GeneratedRegex(@"logo\.[a-z0-9]{6,}\.svg")]
    private static partial Regex FingerprintedLogo();
}
