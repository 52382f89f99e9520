using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Portal.Security;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal with one extra endpoint that requires the <c>Admin</c> policy, behind the real sign-in.</summary>
public sealed class AdminProbeFactory : LoggedPortalFactory
{
    public const string ProbePath = "/probe/admin";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, AdminProbe>());
    }

    private sealed class AdminProbe : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Map(ProbePath, probe =>
            {
                probe.UseRouting();
                probe.UseAuthentication();
                probe.UseAuthorization();
                probe.UseEndpoints(endpoints => endpoints
                    .MapGet("/", () => "admin only")
                    .RequireAuthorization(PortalAuthorizationOptions.AdminPolicy));
            });
            next(app);
        };
    }
}

public class AdminPolicyTests(AdminProbeFactory factory) : IClassFixture<AdminProbeFactory>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private HttpClient NoRedirects() => factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    [Fact]
    public async Task AdminsPass()
    {
        using var client = NoRedirects();
        await client.SignInAsync("Ada Probe", admin: true);

        var body = await client.GetStringAsync(AdminProbeFactory.ProbePath, Token);

        Assert.Equal("admin only", body);
    }

    [Fact]
    public async Task UsersAreRefusedAndTheRefusalIsAudited()
    {
        using var client = NoRedirects();
        await client.SignInAsync("Uma Probe");
        using var page = new HttpRequestMessage(HttpMethod.Get, AdminProbeFactory.ProbePath);
        page.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));

        using var script = await client.GetAsync(AdminProbeFactory.ProbePath, Token);
        using var browser = await client.SendAsync(page, Token);

        Assert.Equal(HttpStatusCode.Forbidden, script.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, browser.StatusCode);
        // The probe runs under its own path base, which the cookie handler keeps in front of the path.
        Assert.EndsWith("/account/access-denied", browser.Headers.Location?.AbsolutePath, StringComparison.Ordinal);
        Assert.Contains(factory.Logs.Entries, e => e.Contains("Audit: dev-uma-probe was denied /probe/admin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnonymousUsersAreAskedToSignIn()
    {
        using var client = NoRedirects();

        using var response = await client.GetAsync(AdminProbeFactory.ProbePath, Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
