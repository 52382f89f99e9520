using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal in Development with every log entry captured.</summary>
public class LoggedPortalFactory : PortalFactory
{
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging
            .AddProvider(Logs)
            .AddFilter<LogCapture>(null, LogLevel.Trace));
    }
}

/// <summary>
/// The portal in Production, signing in with Entra ID against an authority that does not exist: the OpenID
/// Connect metadata is given in advance and the back channel fails any call, so nothing is ever contacted.
/// </summary>
public sealed class EntraPortalFactory : PortalFactory
{
    public const string Instance = "https://login.example.test/";
    public const string TenantId = "7d1c0b5e-0000-4000-8000-00000000a11d";
    public const string ClientId = "portal-client-id";
    public const string ClientSecret = "client-secret-value-Xq93";

    public LogCapture Logs { get; } = new();

    public int BackchannelCalls => _backchannel.Calls;

    private readonly RefusingHandler _backchannel = new();

    public string KeyRingDirectory { get; } = Path.Combine(Path.GetTempPath(), "portal-integration", $"key-ring-{Guid.NewGuid():N}");

    private readonly Lazy<string> _keyRingCertificate;

    public EntraPortalFactory()
    {
        _keyRingCertificate = new(() => Portal.Testing.TestCertificates.WriteKeyRingCertificate(KeyRingDirectory));
    }

    /// <summary>A client on an https origin that is not loopback, as a browser would be in Production.</summary>
    public HttpClient CreateHttpsClient() => CreateClient(new WebApplicationFactoryClientOptions
    {
        BaseAddress = new Uri("https://portal.example.test"),
        AllowAutoRedirect = false,
    });

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment("Production");
        builder.UseSetting("AzureAd:Instance", Instance);
        builder.UseSetting("AzureAd:TenantId", TenantId);
        builder.UseSetting("AzureAd:ClientId", ClientId);
        builder.UseSetting("AzureAd:ClientSecret", ClientSecret);
        builder.UseSetting("AzureAd:CallbackPath", "/signin-oidc");
        // Tests reach the test server directly: no proxy in front.
        builder.UseSetting("ForwardedHeaders:DirectlyExposed", "true");
        builder.UseSetting("Webhooks:AllowPrivateNetworks", "false");
        builder.UseSetting("Destinations:AllowPrivateNetworks", "false");
        // Production refuses a key ring stored in clear: keys in a folder of this portal, encrypted with its certificate.
        builder.UseSetting("DataProtection:KeysPath", Path.Combine(KeyRingDirectory, "keys"));
        builder.UseSetting("DataProtection:CertificatePath", _keyRingCertificate.Value);
        builder.UseSetting("DataProtection:CertificatePassword", Portal.Testing.TestCertificates.Password);
        builder.ConfigureLogging(logging => logging
            .AddProvider(Logs)
            .AddFilter<LogCapture>(null, LogLevel.Trace));
        builder.ConfigureTestServices(services =>
            services.PostConfigure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, options =>
            {
                var authority = options.Authority!.TrimEnd('/');
                var configuration = new OpenIdConnectConfiguration
                {
                    Issuer = authority,
                    AuthorizationEndpoint = $"{authority}/oauth2/v2.0/authorize",
                    TokenEndpoint = $"{authority}/oauth2/v2.0/token",
                    EndSessionEndpoint = $"{authority}/oauth2/v2.0/logout",
                };
                options.Configuration = configuration;
                options.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration);
                options.Backchannel = new HttpClient(_backchannel);
            }));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _backchannel.Dispose();
            if (Directory.Exists(KeyRingDirectory))
            {
                Directory.Delete(KeyRingDirectory, recursive: true);
            }
        }
        base.Dispose(disposing);
    }

    private sealed class RefusingHandler : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("The test authority must not be contacted.");
        }
    }
}
