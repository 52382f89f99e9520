using Portal.Hosting.ScaleOut;
using Portal.Security;

namespace Portal.Hosting;

/// <summary>
/// The settings every environment but Development must have, checked together before anything else is built: one
/// failed start names every missing or unsafe setting at once, not one per attempt.
/// </summary>
public static class MandatorySettings
{
    /// <summary>Outside Development: stops the start with every problem of <see cref="Problems"/> in one message.</summary>
    public static IHostApplicationBuilder RequireMandatorySettings(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var problems = Problems(builder.Configuration, builder.Environment);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The portal cannot start in {builder.Environment.EnvironmentName}: " +
                (problems.Count == 1 ? "1 setting needs" : $"{problems.Count} settings need") + " fixing." +
                string.Concat(problems.Select(p => $"{Environment.NewLine}- {p}")));
        }
        return builder;
    }

    /// <summary>What is missing or unsafe in <paramref name="configuration"/>; empty in Development.</summary>
    public static IReadOnlyList<string> Problems(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        if (environment.IsDevelopment())
        {
            return [];
        }
        List<string> problems = [];
        AddEntraProblems(configuration.GetSection(SecurityHostingExtensions.AzureAdSectionName), environment.EnvironmentName, problems);
        AddUpstreamProblems(configuration.GetSection("Upstream"), environment, problems);
        AddProxyProblems(configuration.GetSection(ProxyOptions.SectionName), problems);
        AddSecretStoreProblems(configuration, problems);
        return problems;
    }

    private static void AddEntraProblems(IConfigurationSection azureAd, string environmentName, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(azureAd["ClientId"]))
        {
            problems.Add(
                $"Sign-in is not configured: {environmentName} requires Microsoft Entra ID. Set the 'AzureAd' section " +
                "(Instance, TenantId, ClientId, ClientSecret or ClientCredentials, CallbackPath); AzureAd:ClientId is empty. " +
                "The development sign-in is only available in the Development environment.");
        }
        var tenantId = azureAd["TenantId"]?.Trim();
        if (string.IsNullOrEmpty(tenantId))
        {
            problems.Add("AzureAd:TenantId is empty: set your organisation's directory (tenant) ID, a GUID.");
        }
        else if (EntraTenant.IsMultiTenant(tenantId))
        {
            problems.Add(
                $"AzureAd:TenantId is '{tenantId}', which lets accounts of any tenant sign in (and another tenant's admin " +
                "grant themselves the portal's admin role): set your organisation's directory (tenant) ID, a GUID.");
        }
        else if (!Guid.TryParse(tenantId, out _))
        {
            problems.Add(
                $"AzureAd:TenantId is '{tenantId}', not a directory (tenant) ID: set the GUID shown as 'Directory (tenant) ID' " +
                "in the app registration, so that sign-ins and tokens can be checked against it.");
        }
        if (!Uri.TryCreate(azureAd["Instance"], UriKind.Absolute, out var instance) || instance.Scheme != Uri.UriSchemeHttps)
        {
            problems.Add("AzureAd:Instance must be an https URL, e.g. https://login.microsoftonline.com/.");
        }
        var hasCredential = !string.IsNullOrWhiteSpace(azureAd["ClientSecret"])
            || azureAd.GetSection("ClientCredentials").GetChildren().Any()
            || azureAd.GetSection("ClientCertificates").GetChildren().Any();
        if (!hasCredential)
        {
            problems.Add("AzureAd:ClientSecret is empty: set the app registration's client secret, or a certificate in AzureAd:ClientCredentials.");
        }
    }

    private static void AddUpstreamProblems(IConfigurationSection upstream, IHostEnvironment environment, List<string> problems)
    {
        // Outside Production a start may ask for the simulator instead (Upstream:UseSimulator); Production never hosts it.
        var hostsSimulator = upstream.GetValue<bool>("UseSimulator");
        if (hostsSimulator)
        {
            return;
        }
        if (string.IsNullOrWhiteSpace(upstream["BaseUrl"]))
        {
            problems.Add(
                $"Upstream:BaseUrl is empty: set it to the vendor's API root (e.g. https://api.example/). The {environment.EnvironmentName} " +
                "environment does not host the development simulator unless Upstream:UseSimulator is true.");
        }
        if (string.IsNullOrWhiteSpace(upstream["ClientSecret"]))
        {
            problems.Add("Upstream:ClientSecret is empty: set the client secret the vendor issued to the portal.");
        }
    }

    /// <summary>The key ring and Redis checks of <see cref="DataProtectionExtensions"/> and <see cref="ScaleOutExtensions"/>, listed here with the rest.</summary>
    private static void AddSecretStoreProblems(IConfiguration configuration, List<string> problems)
    {
        var keyRing = configuration.GetSection(KeyRingOptions.SectionName).Get<KeyRingOptions>() ?? new KeyRingOptions();
        var redisConnection = configuration.GetConnectionString(RedisOptions.ConnectionStringName);
        var inRedis = !string.IsNullOrWhiteSpace(redisConnection);
        if (!keyRing.HasCertificate && !keyRing.AllowUnprotectedKeys)
        {
            problems.Add(KeyRingOptions.UnprotectedProblem);
        }
        if (!inRedis)
        {
            return;
        }
        var redis = configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>() ?? new RedisOptions();
        try
        {
            if (!redis.AllowInsecureConnection && !RedisConnection.IsSecured(RedisConnection.Parse(redisConnection!, redis)))
            {
                problems.Add(RedisOptions.InsecureProblem);
            }
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(ex.Message);
        }
    }

    private static void AddProxyProblems(IConfigurationSection forwarded, List<string> problems)
    {
        var named = forwarded.GetSection(nameof(ProxyOptions.KnownProxies)).GetChildren().Any()
            || forwarded.GetSection(nameof(ProxyOptions.KnownNetworks)).GetChildren().Any();
        if (!named && !forwarded.GetValue<bool>(nameof(ProxyOptions.DirectlyExposed)))
        {
            problems.Add(
                "ForwardedHeaders:KnownProxies and ForwardedHeaders:KnownNetworks are empty: name the reverse proxy or load balancer " +
                "in front of the portal (without it, https is not recognised: sign-in, forms and HSTS fail), or set " +
                "ForwardedHeaders:DirectlyExposed to true when browsers reach the portal's own https endpoint directly.");
        }
    }
}
