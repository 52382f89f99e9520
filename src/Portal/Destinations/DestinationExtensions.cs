using Microsoft.Extensions.Http;

namespace Portal.Destinations;

public static class DestinationExtensions
{
    /// <summary>Destinations, their writers and their checks (section <c>Destinations</c>).</summary>
    public static IHostApplicationBuilder AddDestinations(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var development = builder.Environment.IsDevelopment();
        services.AddOptions<DestinationOptions>().BindConfiguration(DestinationOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => !o.AllowPrivateNetworks || development,
                "Destinations:AllowPrivateNetworks may be true in Development only: elsewhere destinations could reach the portal's own network.")
            .Validate(o => o.Kinds is null || o.Kinds.All(k => k is null || DestinationKinds.Parse(k) is not null || string.Equals(k.Trim(), "none", StringComparison.OrdinalIgnoreCase)),
                "Destinations:Kinds takes azure-blob, sftp, or none.")
            .ValidateOnStart();
        // The key ring's setup (certificate, Redis or folder) is the host's; this only makes sure one exists.
        services.AddDataProtection();
        services.AddSingleton<DestinationSecrets>();
        services.AddSingleton<DestinationAddressGuard>();
        services.AddSingleton<DestinationValidator>();
        services.AddSingleton<DestinationTargets>();
        services.AddSingleton<IDestinationWriter, BlobDestinationWriter>();
        services.AddSingleton<IDestinationWriter, SftpDestinationWriter>();
        services.AddSingleton<DestinationService>();
        services.AddSingleton<DestinationApi.UserReader>();
        services.AddDeliveries();

        // Destinations are their owners' hosts: no redirects, no cookies, no proxy, and the address checked on every connection.
        services.AddHttpClient(BlobDestinationWriter.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                ConnectTimeout = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<DestinationOptions>>().Value.Timeout,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectCallback = sp.GetRequiredService<DestinationAddressGuard>().ConnectAsync,
            })
            .RemoveAllLoggers();
        return builder;
    }
}
