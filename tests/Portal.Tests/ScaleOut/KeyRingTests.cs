using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Hosting;
using Portal.Hosting.ScaleOut;
using Portal.Testing;
using StackExchange.Redis;

namespace Portal.Tests.ScaleOut;

/// <summary>The Data Protection key ring as the portal sets it up, on the real test Redis (<c>PORTAL_TEST_REDIS</c>).</summary>
public sealed class KeyRingTests : IDisposable
{
    private readonly string prefix = TestRedis.NewPrefix();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "portal-tests", $"key-ring-{Guid.NewGuid():N}");
    private readonly List<IHost> hosts = [];

    public void Dispose()
    {
        foreach (var host in hosts)
        {
            host.Dispose();
        }
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The portal's key ring and Redis registrations alone, as <c>Program</c> adds them, in <paramref name="environment"/>.</summary>
    private IHost Host(Dictionary<string, string?> settings, string environment = "Production")
    {
        Directory.CreateDirectory(directory);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environment,
            ContentRootPath = directory,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPortalDataProtection();
        builder.AddPortalScaleOut();
        var host = builder.Build();
        hosts.Add(host);
        return host;
    }

    private static void ValidateStart(IHost host) => host.Services.GetRequiredService<IStartupValidator>().Validate();

    [Fact]
    public async Task TheKeyRingInRedisHoldsItsKeysEncryptedWithTheCertificate()
    {
        var settings = TestRedis.Settings(prefix, new()
        {
            ["DataProtection:CertificatePath"] = TestCertificates.WriteKeyRingCertificate(directory),
            ["DataProtection:CertificatePassword"] = TestCertificates.Password,
        });
        var a = Host(settings);
        var b = Host(settings);
        ValidateStart(a);

        var cookie = a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("session").Protect("alice's session");
        var read = b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("session").Unprotect(cookie);

        using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedis.ConnectionString);
        var stored = (await redis.GetDatabase().ListRangeAsync($"{prefix}:data-protection-keys")).Select(v => v.ToString()).ToList();
        var key = Assert.Single(stored);
        Assert.Contains("<encryptedSecret", key, StringComparison.Ordinal);
        Assert.Contains("<EncryptedData", key, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", key, StringComparison.Ordinal);
        Assert.DoesNotContain("<value>", key, StringComparison.Ordinal);
        Assert.Equal("alice's session", read);
    }

    [Fact]
    public void WithoutACertificateOutsideDevelopmentTheStartStopsAndNamesTheSettings()
    {
        var host = Host(TestRedis.Settings(prefix));

        var error = Assert.Throws<OptionsValidationException>(() => ValidateStart(host));

        Assert.Contains("stored unencrypted in Redis", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:CertificateThumbprint", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:AllowUnprotectedKeys=true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSingleInstanceKeyRingInItsFolderIsRefusedUnencryptedAndEncryptedWithTheCertificate()
    {
        var keys = Path.Combine(directory, "keys");
        var unprotected = Host(new() { ["DataProtection:KeysPath"] = keys });
        var error = Assert.Throws<OptionsValidationException>(() => ValidateStart(unprotected));
        Assert.Contains($"stored unencrypted in {keys}", error.Message, StringComparison.Ordinal);

        var host = Host(new()
        {
            ["DataProtection:KeysPath"] = keys,
            ["DataProtection:CertificatePath"] = TestCertificates.WriteKeyRingCertificate(directory),
            ["DataProtection:CertificatePassword"] = TestCertificates.Password,
        });
        ValidateStart(host);
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("session").Protect("bob's session");

        var file = Assert.Single(Directory.GetFiles(keys, "*.xml"));
        var xml = File.ReadAllText(file);
        Assert.Contains("<encryptedSecret", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRiskCanBeAcceptedOutsideDevelopmentAndDevelopmentNeedsNoCertificate()
    {
        ValidateStart(Host(TestRedis.Settings(prefix, new() { ["DataProtection:AllowUnprotectedKeys"] = "true" })));
        ValidateStart(Host(TestRedis.Settings(prefix), environment: "Development"));
    }

    [Fact]
    public void AMissingCertificateFileStopsTheStartAndNamesTheSetting()
    {
        var missing = Path.Combine(directory, "nowhere.pfx");

        var error = Assert.Throws<InvalidOperationException>(() => Host(TestRedis.Settings(prefix, new() { ["DataProtection:CertificatePath"] = missing })));

        Assert.Equal($"DataProtection:CertificatePath names '{missing}', which does not exist.", error.Message);
    }

    [Fact]
    public void ARedisWithNeitherPasswordNorTlsIsRefusedOutsideDevelopmentUnlessTheRiskIsAccepted()
    {
        var keyRing = new Dictionary<string, string?> { ["DataProtection:AllowUnprotectedKeys"] = "true", ["Redis:AllowInsecureConnection"] = "false" };
        var host = Host(TestRedis.Settings(prefix, keyRing));

        var error = Assert.Throws<OptionsValidationException>(() => ValidateStart(host));

        Assert.Contains("Redis has neither a password nor TLS", error.Message, StringComparison.Ordinal);
        Assert.Contains("Redis:Password", error.Message, StringComparison.Ordinal);
        Assert.Contains("Redis:Ssl=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Redis:AllowInsecureConnection=true", error.Message, StringComparison.Ordinal);
        keyRing["Redis:AllowInsecureConnection"] = null;
        keyRing["Redis:Password"] = "a-password";
        ValidateStart(Host(TestRedis.Settings(prefix, keyRing)));
    }

    [Fact]
    public void ThePasswordAndTlsOfTheRedisSectionGoOverTheConnectionString()
    {
        var configuration = RedisConnection.Parse("redis.internal:6380,password=old", new RedisOptions
        {
            User = "portal",
            Password = "from-a-secret-store",
            Ssl = true,
            SslHost = "redis.example.com",
        });

        Assert.Equal(("portal", "from-a-secret-store", true, "redis.example.com"), (configuration.User, configuration.Password, configuration.Ssl, configuration.SslHost));
        Assert.True(RedisConnection.IsSecured(configuration));
        Assert.True(RedisConnection.IsSecured(RedisConnection.Parse("redis.internal:6380,ssl=true")));
        Assert.False(RedisConnection.IsSecured(RedisConnection.Parse("redis.internal:6379")));
        Assert.False(RedisConnection.Parse("redis.internal:6379,password=p", new RedisOptions()).Ssl);
    }
}
