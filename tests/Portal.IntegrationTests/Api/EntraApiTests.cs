using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Portal.Api;
using Portal.IntegrationTests.Security;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>With Entra ID and <c>Api:Scope</c>: Entra bearer tokens are a second scheme beside personal access tokens.</summary>
public class EntraApiTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WithEntraIdAndAScopeBothSchemesGuardTheApi()
    {
        await using var entra = new EntraPortalFactory();
        entra.Settings["Api:Scope"] = "Exports.ReadWrite";
        await entra.InitializeAsync();
        using var portal = entra.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.PostConfigure<JwtBearerOptions>(ApiExtensions.EntraBearerScheme, options =>
            {
                // No keys from the (non-existent) authority: every Entra token fails validation without a network call.
                var configuration = new OpenIdConnectConfiguration { Issuer = $"{EntraPortalFactory.Instance}{EntraPortalFactory.TenantId}/v2.0" };
                options.Configuration = configuration;
                options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
            })));
        var schemes = portal.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        var tokens = portal.Services.GetRequiredService<AccessTokens>();
        var token = (await tokens.CreateAsync(User("Ent"), "entra run", DateTimeOffset.UtcNow.AddDays(1), Cancellation)).Secret;
        using var withToken = portal.CreateHttpsClientFor(token);
        using var withJwt = portal.CreateHttpsClientFor("eyJhbGciOiJSUzI1NiJ9.eyJzY3AiOiJFeHBvcnRzLlJlYWRXcml0ZSJ9.c2lnbmF0dXJl");

        using var accepted = await withToken.GetAsync(ExportsPath, Cancellation);
        using var refused = await withJwt.GetAsync(ExportsPath, Cancellation);

        Assert.NotNull(await schemes.GetSchemeAsync(ApiExtensions.EntraBearerScheme));
        Assert.Equal(System.Net.HttpStatusCode.OK, accepted.StatusCode);
        await ProblemAsync(refused, 401);
        Assert.Equal(0, entra.BackchannelCalls);
    }
}

internal static class EntraClients
{
    public static HttpClient CreateHttpsClientFor(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> portal, string? token)
    {
        var client = portal.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri("https://portal.example.test"),
            AllowAutoRedirect = false,
        });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
