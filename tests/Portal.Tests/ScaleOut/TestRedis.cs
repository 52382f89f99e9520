namespace Portal.Tests.ScaleOut;

/// <summary>The Redis that <c>tests/run.sh</c> starts for the tests (<c>PORTAL_TEST_REDIS</c>, e.g. <c>127.0.0.1:6390</c>).</summary>
public static class TestRedis
{
    public const string Variable = "PORTAL_TEST_REDIS";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the tests with tests/run.sh, which starts Redis and sets it, or start redis-server yourself and set {Variable}=127.0.0.1:<port>.");

    /// <summary>Settings of one portal on the test Redis; a fresh key prefix keeps each test's keys to itself.</summary>
    public static Dictionary<string, string?> Settings(string prefix, Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = ConnectionString,
            ["Redis:KeyPrefix"] = prefix,
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }
        return settings;
    }

    public static string NewPrefix() => $"test-{Guid.NewGuid():N}";
}
