using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>The daily allowance and the rate limits hold for a user whose requests land on two instances of one database.</summary>
public class FairUseTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<(PortalFactory A, PortalFactory B)> TwoInstancesAsync(Dictionary<string, string?> settings)
    {
        var a = await PortalFactory.StartAsync(settings: settings);
        var b = await PortalFactory.StartAsync(settings: settings, simulator: a.Simulator, databasePath: a.DatabasePath);
        return (a, b);
    }

    [Fact]
    public async Task TheDailyAllowanceStopsTheNextExportOnEitherInstanceWithAProblemNamingItAndItsReset()
    {
        var (a, b) = await TwoInstancesAsync(new() { ["Exports:DailyAllowancePerUser"] = "3" });
        await using var first = a;
        await using var second = b;
        var user = User("AllowanceAlice");
        using var onA = a.ApiClient(await a.TokenForAsync(user));
        using var onB = b.ApiClient(await a.TokenForAsync(user));

        // Eight creates at once, half on each instance, racing for three places.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? onA : onB).CreateAsync(Day(i + 2))));
        using var me = await onB.GetAsync("/api/v1/me", Cancellation);
        var resetsAt = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero);

        Assert.Equal(3, answers.Count(r => r.StatusCode == HttpStatusCode.Created));
        var refused = answers.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(5, refused.Count);
        foreach (var answer in refused)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, answer.StatusCode);
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal("Daily allowance used up", problem.GetProperty("title").GetString());
            var detail = problem.GetProperty("detail").GetString();
            Assert.Contains("used your 3 exports for today", detail, StringComparison.Ordinal);
            Assert.Contains($"resets at {resetsAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC", detail, StringComparison.Ordinal);
            Assert.Equal("0", answer.Headers.GetValues("X-RateLimit-Remaining").Single());
            Assert.Equal(resetsAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), answer.Headers.GetValues("X-RateLimit-Reset").Single());
            Assert.InRange(answer.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        }
        Assert.Contains(answers, r => r.StatusCode == HttpStatusCode.Created && r.Headers.GetValues("X-RateLimit-Limit").Single() == "3");

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var allowance = (await me.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("allowance");
        Assert.Equal((3, 3, 0), (allowance.GetProperty("limit").GetInt32(), allowance.GetProperty("used").GetInt32(), allowance.GetProperty("remaining").GetInt32()));
        Assert.Equal(resetsAt, allowance.GetProperty("resets_at").GetDateTimeOffset());

        // Another user's allowance is their own.
        using var other = b.ApiClient(await b.TokenForAsync(User("AllowanceBob")));
        using var othersCreate = await other.CreateAsync(Day());
        Assert.Equal(HttpStatusCode.Created, othersCreate.StatusCode);
    }

    [Fact]
    public async Task ABurstOfApiReadsOnTwoInstancesMeetsOneSharedLimitAndAnswers429WithRetryAfter()
    {
        var (a, b) = await TwoInstancesAsync(new()
        {
            ["ConnectionStrings:Redis"] = TestDatabases.RedisServer,
            ["Redis:KeyPrefix"] = $"test-{Guid.NewGuid():N}",
            ["RateLimits:ApiPerWindow"] = "10",
        });
        await using var first = a;
        await using var second = b;
        var user = User("BurstCarol");
        using var onA = a.ApiClient(await a.TokenForAsync(user));
        using var onB = b.ApiClient(await a.TokenForAsync(user));

        var answers = new List<(char Instance, HttpResponseMessage Answer)>();
        for (var i = 0; i < 30; i++)
        {
            var onFirst = i % 2 == 0;
            answers.Add((onFirst ? 'A' : 'B', await (onFirst ? onA : onB).GetAsync(ApiCalls.ExportsPath, Cancellation)));
        }
        using var otherUser = a.ApiClient(await a.TokenForAsync(User("BurstDave")));
        using var othersRead = await otherUser.GetAsync(ApiCalls.ExportsPath, Cancellation);

        Assert.Equal(10, answers.Count(x => x.Answer.StatusCode == HttpStatusCode.OK));
        var limited = answers.Where(x => x.Answer.StatusCode != HttpStatusCode.OK).ToList();
        Assert.All(limited, x => Assert.Equal(HttpStatusCode.TooManyRequests, x.Answer.StatusCode));
        Assert.Equal(['A', 'B'], limited.Select(x => x.Instance).Distinct().Order());
        foreach (var (_, answer) in limited)
        {
            Assert.InRange(answer.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
            Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            Assert.Contains("RateLimits:ApiPerWindow", (await answer.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.OK, othersRead.StatusCode);
    }
}
