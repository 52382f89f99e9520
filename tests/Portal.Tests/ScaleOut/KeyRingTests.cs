using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Hosting;
using Portal.Hosting.ScaleOut;
using Portal.Security;
using Portal.Testing;
using Portal.Tests.Fakes;
using Portal.Webhooks;
using StackExchange.Redis;

namespace Portal.Tests.ScaleOut;

/// <summary>
/// The Data Protection key ring as the portal sets it up: in the database (a SQLite file, or PostgreSQL with
/// <see cref="TestDatabases.IsPostgreSql"/>), never in Redis (the real test Redis, <c>PORTAL_TEST_REDIS</c>, or a
/// private one a test restarts), and moved there once from where earlier versions kept it.
/// </summary>
public sealed class KeyRingTests : IDisposable
{
    private const string CookiePurpose = "Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationMiddleware";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly string prefix = TestRedis.NewPrefix();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "portal-tests", $"key-ring-{Guid.NewGuid():N}");
    private readonly string databaseFile;
    private readonly List<IHost> hosts = [];
    private readonly RecordingLoggerFactory logs = new();

    public KeyRingTests()
    {
        Directory.CreateDirectory(directory);
        databaseFile = Path.Combine(directory, "portal.db");
    }

    public void Dispose()
    {
        foreach (var host in hosts)
        {
            host.Dispose();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabases.Drop(databaseFile);
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// An instance of the portal's data, key ring and Redis registrations, as <c>Program</c> adds them, on this test's
    /// database, in <paramref name="environment"/>. Not started: the key ring is read at first use, as at a start.
    /// </summary>
    private IHost Host(Dictionary<string, string?> settings, string environment = "Production")
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = environment,
            ContentRootPath = directory,
        });
        builder.Configuration.AddInMemoryCollection(TestDatabases.Settings(databaseFile));
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddSingleton<ILoggerFactory>(logs);
        builder.AddPortalData();
        builder.AddPortalDataProtection();
        builder.AddPortalScaleOut();
        var host = builder.Build();
        hosts.Add(host);
        return host;
    }

    private Dictionary<string, string?> Certificate(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DataProtection:CertificatePath"] = CertificatePath,
            ["DataProtection:CertificatePassword"] = TestCertificates.Password,
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>This test's key ring certificate (a <c>.pfx</c> file), written at first use.</summary>
    private string CertificatePath => certificatePath ??= TestCertificates.WriteKeyRingCertificate(directory);

    private string? certificatePath;

    private static void ValidateStart(IHost host) => host.Services.GetRequiredService<IStartupValidator>().Validate();

    private static IDataProtector Protector(IHost host, string purpose) => host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(purpose);

    private static WebhookSecrets Secrets(IHost host) =>
        new(host.Services.GetRequiredService<IDataProtectionProvider>(), host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>());

    private static List<Guid> KeyIds(IHost host) =>
        [.. host.Services.GetRequiredService<IKeyManager>().GetAllKeys().Select(k => k.KeyId).Order()];

    private static async Task<List<DataProtectionKeyRow>> StoredKeysAsync(IHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => new DataProtectionKeyRow(k.FriendlyName!, k.Xml!)).ToListAsync(Cancellation);
    }

    private sealed record DataProtectionKeyRow(string FriendlyName, string Xml);

    private int MoveLogLines => logs.Entries.Count(e => e.Contains("Moved the Data Protection key ring", StringComparison.Ordinal));

    /// <summary>
    /// A key ring as the previous version kept it, in <paramref name="folder"/> (Redis kept the same elements in a list),
    /// encrypted with this test's certificate; returns its protector's payloads: a session cookie and a webhook secret.
    /// </summary>
    private (string Cookie, string StoredSecret) OldKeyRing(string folder)
    {
        var services = new ServiceCollection();
        services.AddDataProtection()
            .SetApplicationName(ScaleOutExtensions.DataProtectionApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(folder))
            .ProtectKeysWithCertificate(X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, TestCertificates.Password));
        using var provider = services.BuildServiceProvider();
        var dataProtection = provider.GetRequiredService<IDataProtectionProvider>();
        var cookie = dataProtection.CreateProtector(CookiePurpose).Protect("alice's session");
        var storedSecret = new WebhookSecrets(dataProtection, null!).Protect("whsec_c2VjcmV0LWJlZm9yZS10aGUtbW92ZQ==");
        return (cookie, storedSecret);
    }

    [Fact]
    public async Task TheKeyRingAndTheDevelopmentUsersAreInTheDatabaseTheKeysEncryptedWithTheCertificateAndNothingOfThemInRedis()
    {
        var settings = TestRedis.Settings(prefix, Certificate());
        var a = Host(settings);
        var b = Host(settings);
        ValidateStart(a);

        var cookie = Protector(a, CookiePurpose).Protect("alice's session");
        var read = Protector(b, CookiePurpose).Unprotect(cookie);
        var users = new[] { a, b }.Select(h => new DevelopmentUserStore(
            h.Services.GetRequiredService<IOptionsMonitor<SecurityOptions>>(), h.Services.GetRequiredService<IDevelopmentUserDirectory>())).ToList();
        var alice = users[0].SignIn("Alice Analyst", isAdmin: false);
        users[0].SetAdmin(alice.Id, true);

        Assert.Equal("alice's session", read);
        var key = Assert.Single(await StoredKeysAsync(a));
        Assert.StartsWith("key-", key.FriendlyName, StringComparison.Ordinal);
        Assert.Contains("<encryptedSecret", key.Xml, StringComparison.Ordinal);
        Assert.Contains("<EncryptedData", key.Xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", key.Xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<value>", key.Xml, StringComparison.Ordinal);
        Assert.Equal(alice with { IsAdmin = true }, users[1].Find(alice.Id));
        Assert.True(users[1].Remove(alice.Id));
        Assert.Null(users[0].Find(alice.Id));
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Empty(server.Keys(pattern: $"{prefix}:*").ToList());
    }

    [Fact]
    public async Task TheKeyRingSurvivesARedisRestartThatLosesEverything()
    {
        await using var redis = await RestartableRedis.StartAsync();
        var settings = Certificate(new()
        {
            ["ConnectionStrings:Redis"] = redis.Endpoint,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:AllowInsecureConnection"] = "true",
        });
        var a = Host(settings);
        var cookie = Protector(a, CookiePurpose).Protect("alice's session");
        var secret = Secrets(a).Protect("whsec_c2VjcmV0LWJlZm9yZS10aGUtcmVzdGFydA==");
        var before = KeyIds(a);

        await redis.RestartAsync();
        // An instance started after the restart, and the one that was running.
        var b = Host(settings);

        Assert.Single(before);
        Assert.Equal(before, KeyIds(b));
        Assert.Equal(before, KeyIds(a));
        Assert.Equal("alice's session", Protector(b, CookiePurpose).Unprotect(cookie));
        Assert.Equal("alice's session", Protector(a, CookiePurpose).Unprotect(cookie));
        Assert.Equal("whsec_c2VjcmV0LWJlZm9yZS10aGUtcmVzdGFydA==", Secrets(b).Reveal(secret));
        Assert.Equal($"key-{before[0]}", Assert.Single(await StoredKeysAsync(b)).FriendlyName);
    }

    [Fact]
    public async Task KeysKeptInRedisMoveToTheDatabaseOnceAtStartEvenWithTwoInstancesStartingTogether()
    {
        var (cookie, storedSecret) = OldKeyRing(Path.Combine(directory, "old"));
        var oldElements = Directory.GetFiles(Path.Combine(directory, "old"), "*.xml").Select(f => XElement.Load(f)).ToList();
        using var redis = await ConnectionMultiplexer.ConnectAsync(TestRedis.ConnectionString);
        var list = new RedisKey($"{prefix}:data-protection-keys");
        // As the previous version's key ring kept them: one element a list entry.
        foreach (var element in oldElements)
        {
            await redis.GetDatabase().ListRightPushAsync(list, element.ToString(SaveOptions.DisableFormatting));
        }
        var oldIds = oldElements.Select(e => Guid.Parse((string)e.Attribute("id")!)).Order().ToList();
        var settings = TestRedis.Settings(prefix, Certificate());
        var a = Host(settings);
        var b = Host(settings);

        // Both instances read the key ring at once, as two instances starting together do.
        var read = await Task.WhenAll(Task.Run(() => KeyIds(a), Cancellation), Task.Run(() => KeyIds(b), Cancellation));

        Assert.Equal([oldIds, oldIds], read);
        Assert.Equal(oldIds.Select(id => $"key-{id}"), (await StoredKeysAsync(a)).Select(k => k.FriendlyName));
        Assert.Equal(1, MoveLogLines);
        Assert.Equal("alice's session", Protector(b, CookiePurpose).Unprotect(cookie));
        Assert.Equal("whsec_c2VjcmV0LWJlZm9yZS10aGUtbW92ZQ==", Secrets(a).Reveal(storedSecret));

        // The next start moves nothing again, even what the list holds now.
        await redis.GetDatabase().ListRightPushAsync(list, new XElement("key", new XAttribute("id", Guid.NewGuid())).ToString(SaveOptions.DisableFormatting));
        var c = Host(settings);
        Assert.Equal(oldIds, KeyIds(c));
        Assert.Equal(oldIds.Count, (await StoredKeysAsync(c)).Count);
        Assert.Equal(1, MoveLogLines);
    }

    [Fact]
    public async Task WhileTheOldKeysInRedisCannotBeReadNoNewKeyIsMadeAndTheMoveHappensOnceRedisAnswers()
    {
        var (cookie, _) = OldKeyRing(Path.Combine(directory, "old"));
        var oldElements = Directory.GetFiles(Path.Combine(directory, "old"), "*.xml").Select(f => XElement.Load(f)).ToList();
        await using var redis = await RestartableRedis.StartAsync();
        await redis.StopAsync();
        var a = Host(Certificate(new()
        {
            // Short timeouts: each read of the stopped Redis fails within a second.
            ["ConnectionStrings:Redis"] = $"{redis.Endpoint},connectTimeout=500,syncTimeout=1000",
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:AllowInsecureConnection"] = "true",
        }));

        var error = Assert.Throws<InvalidOperationException>(() => KeyIds(a));
        Assert.ThrowsAny<Exception>(() => Protector(a, CookiePurpose).Unprotect(cookie));
        Assert.Contains($"the Redis list {prefix}:data-protection-keys", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", error.Message, StringComparison.Ordinal);
        Assert.Empty(await StoredKeysAsync(a));

        await redis.StartAgainAsync();
        using (var old = await ConnectionMultiplexer.ConnectAsync(redis.Endpoint))
        {
            foreach (var element in oldElements)
            {
                await old.GetDatabase().ListRightPushAsync($"{prefix}:data-protection-keys", element.ToString(SaveOptions.DisableFormatting));
            }
        }

        var read = await Eventually.ReturnsAsync(
            () => Task.FromResult(TryUnprotect(a, cookie)), r => r is not null, "the key ring to be moved once Redis answers");
        Assert.Equal("alice's session", read);
        Assert.Equal(oldElements.Count, (await StoredKeysAsync(a)).Count);
    }

    private static string? TryUnprotect(IHost host, string cookie)
    {
        try
        {
            return Protector(host, CookiePurpose).Unprotect(cookie);
        }
        catch (Exception e) when (e is CryptographicException or InvalidOperationException)
        {
            return null;
        }
    }

    [Fact]
    public async Task AOneInstanceKeyFolderMovesToTheDatabaseOnceAndWhatItProtectedStaysReadable()
    {
        var folder = Path.Combine(directory, "keys");
        var (cookie, storedSecret) = OldKeyRing(folder);
        var oldIds = Directory.GetFiles(folder, "*.xml").Select(f => Guid.Parse((string)XElement.Load(f).Attribute("id")!)).Order().ToList();
        var settings = Certificate(new() { ["DataProtection:KeysPath"] = folder });
        var a = Host(settings);
        var b = Host(settings);

        var read = await Task.WhenAll(Task.Run(() => KeyIds(a), Cancellation), Task.Run(() => KeyIds(b), Cancellation));

        Assert.Equal([oldIds, oldIds], read);
        var stored = await StoredKeysAsync(a);
        Assert.Equal(oldIds.Select(id => $"key-{id}"), stored.Select(k => k.FriendlyName));
        Assert.All(stored, k => Assert.Contains("<EncryptedData", k.Xml, StringComparison.Ordinal));
        Assert.Equal("alice's session", Protector(a, CookiePurpose).Unprotect(cookie));
        Assert.Equal("whsec_c2VjcmV0LWJlZm9yZS10aGUtbW92ZQ==", Secrets(b).Reveal(storedSecret));
        Assert.Equal(1, MoveLogLines);

        // Restarted: the database's key ring is read; the folder is neither read nor written again.
        Directory.Delete(folder, recursive: true);
        var again = Host(settings);
        Assert.Equal("alice's session", Protector(again, CookiePurpose).Unprotect(cookie));
        Assert.Equal(oldIds.Count, (await StoredKeysAsync(again)).Count);
        Assert.False(Directory.Exists(folder));
        Assert.Equal(1, MoveLogLines);
    }

    [Fact]
    public void WithoutACertificateOutsideDevelopmentTheStartStopsAndNamesTheSettings()
    {
        var host = Host(TestRedis.Settings(prefix));

        var error = Assert.Throws<OptionsValidationException>(() => ValidateStart(host));

        Assert.Contains("stored unencrypted in the database", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:CertificateThumbprint", error.Message, StringComparison.Ordinal);
        Assert.Contains("DataProtection:AllowUnprotectedKeys=true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRiskCanBeAcceptedOutsideDevelopmentAndDevelopmentNeedsNoCertificate()
    {
        ValidateStart(Host(TestRedis.Settings(prefix, new() { ["DataProtection:AllowUnprotectedKeys"] = "true" })));
        ValidateStart(Host(TestRedis.Settings(prefix), environment: "Development"));
        ValidateStart(Host([], environment: "Development"));
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
