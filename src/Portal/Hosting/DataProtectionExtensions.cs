using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Hosting.ScaleOut;

namespace Portal.Hosting;

public static class DataProtectionExtensions
{
    /// <summary>
    /// The key ring behind session cookies, antiforgery tokens and stored webhook secrets (section
    /// <c>DataProtection</c>): kept in the portal's database (table <c>DataProtectionKeys</c>, one instance or several),
    /// its keys encrypted with the configured certificate. A deployment whose keys were in Redis or in the key folder
    /// has them moved into the database once, at its first start (<see cref="KeyRingMove"/>). Outside Development a key
    /// ring without a certificate stops the start unless <c>DataProtection:AllowUnprotectedKeys</c> is true.
    /// </summary>
    public static IHostApplicationBuilder AddPortalDataProtection(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var development = builder.Environment.IsDevelopment();
        var settings = builder.Configuration.GetSection(KeyRingOptions.SectionName).Get<KeyRingOptions>() ?? new KeyRingOptions();

        var dataProtection = builder.Services.AddDataProtection().SetApplicationName(ScaleOutExtensions.DataProtectionApplicationName);
        // The repository reads and writes through a PortalDbContext of its own scope: one from the factory, whichever the provider.
        builder.Services.TryAddScoped(services => services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContext());
        dataProtection.PersistKeysToDbContext<PortalDbContext>();
        builder.Services.AddSingleton<KeyRingMove>();
        builder.Services.AddSingleton<IPostConfigureOptions<KeyManagementOptions>>(services => new PostConfigureOptions<KeyManagementOptions>(
            Options.DefaultName,
            options => options.XmlRepository = new MovedFirstXmlRepository(options.XmlRepository!, services.GetRequiredService<KeyRingMove>())));
        if (LoadCertificate(settings) is { } certificate)
        {
            dataProtection.ProtectKeysWithCertificate(certificate);
        }

        builder.Services.AddOptions<KeyRingOptions>().BindConfiguration(KeyRingOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.CertificatePath) || string.IsNullOrWhiteSpace(o.CertificateThumbprint),
                "Set either DataProtection:CertificatePath or DataProtection:CertificateThumbprint, not both.")
            .Validate(o => development || o.HasCertificate || o.AllowUnprotectedKeys, KeyRingOptions.UnprotectedProblem)
            .ValidateOnStart();
        if (!development && !settings.HasCertificate && settings.AllowUnprotectedKeys)
        {
            builder.Services.AddHostedService<UnprotectedKeyRingWarning>();
        }
        return builder;
    }

    private static X509Certificate2? LoadCertificate(KeyRingOptions settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.CertificatePath))
        {
            if (!File.Exists(settings.CertificatePath))
            {
                throw new InvalidOperationException($"DataProtection:CertificatePath names '{settings.CertificatePath}', which does not exist.");
            }
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath, settings.CertificatePassword);
            }
            catch (CryptographicException ex)
            {
                throw new InvalidOperationException(
                    $"DataProtection:CertificatePath '{settings.CertificatePath}' could not be read as a PKCS#12 (.pfx) file with DataProtection:CertificatePassword: {ex.Message}", ex);
            }
            return WithPrivateKey(certificate, "DataProtection:CertificatePath");
        }
        if (!string.IsNullOrWhiteSpace(settings.CertificateThumbprint))
        {
            using var store = new X509Store(StoreName.My, settings.CertificateStoreLocation);
            store.Open(OpenFlags.ReadOnly);
            var found = store.Certificates.Find(X509FindType.FindByThumbprint, settings.CertificateThumbprint, validOnly: false);
            if (found.Count == 0)
            {
                throw new InvalidOperationException(
                    $"DataProtection:CertificateThumbprint {settings.CertificateThumbprint} is not in the {settings.CertificateStoreLocation}/My certificate store.");
            }
            return WithPrivateKey(found[0], "DataProtection:CertificateThumbprint");
        }
        return null;
    }

    private static X509Certificate2 WithPrivateKey(X509Certificate2 certificate, string setting) => certificate.HasPrivateKey
        ? certificate
        : throw new InvalidOperationException($"The certificate of {setting} has no private key: the portal needs it to read the keys it encrypts.");
}

/// <summary>Says at every start that the key ring is kept in clear because a setting accepts it.</summary>
internal sealed partial class UnprotectedKeyRingWarning(ILogger<UnprotectedKeyRingWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogUnprotected(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "The Data Protection key ring is stored unencrypted (DataProtection:AllowUnprotectedKeys=true): whoever reads it can forge sessions. Set DataProtection:CertificatePath or DataProtection:CertificateThumbprint to encrypt it")]
    private static partial void LogUnprotected(ILogger logger);
}
