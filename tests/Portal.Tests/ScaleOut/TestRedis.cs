using Portal.Testing;

namespace Portal.Tests.ScaleOut;

/// <summary>The Redis that <c>tests/run.sh</c> starts for the tests (<c>PORTAL_TEST_REDIS</c>, e.g. <c>127.0.0.1:6390</c>).</summary>
public static class TestRedis
{
    public static string ConnectionString => TestDatabases.RedisServer;

    /// <summary>Settings of one portal on the test Redis; a fresh key prefix keeps each test's keys to itself.</summary>
    public static Dictionary<string, string?> Settings(string prefix, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = ConnectionString,
            ["Redis:KeyPrefix"] = prefix,
            // The test Redis listens on loopback without a password or TLS; the hosts run as Production.
            ["Redis:AllowInsecureConnection"] = "true",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    public static string NewPrefix() => $"test-{Guid.NewGuid():N}";
}
