using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests.Contract;

public sealed class StatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StatusMovesFromSubmittedThroughInProgressToCompleted()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.QueueDelay = TimeSpan.FromMilliseconds(400);
            o.MinimumPreparationTime = TimeSpan.FromMilliseconds(400);
        });
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddHours(1), "JSON");

        var submitted = await simulator.GetStatusAsync(id);
        var inProgress = await simulator.WaitForStatusAsync(id, "In Progress");
        var completed = await simulator.WaitForStatusAsync(id, "Completed");

        Assert.Equal("Submitted", submitted.GetProperty("status").GetString());
        foreach (var answer in new[] { submitted, inProgress })
        {
            Assert.Equal(id, answer.GetProperty("request_uuid").GetGuid());
            Assert.Equal("JSON", answer.GetProperty("fileformat").GetString());
            Assert.Equal("2026-11-27T00:00:00Z", answer.GetProperty("timerange").GetProperty("from").GetString());
            Assert.Equal("2026-11-27T01:00:00Z", answer.GetProperty("timerange").GetProperty("to").GetString());
            Assert.True(answer.TryGetProperty("submitted_at", out _));
            Assert.True(answer.TryGetProperty("updated_at", out _));
            foreach (var completedOnly in new[] { "completed_at", "row_count", "download_urls", "urls_expire_at" })
            {
                Assert.False(answer.TryGetProperty(completedOnly, out _), completedOnly);
            }
        }

        Assert.Equal(180, completed.GetProperty("row_count").GetInt64());
        Assert.Single(completed.GetProperty("download_urls").EnumerateArray());
        Assert.True(DateTimeOffset.Parse(completed.GetProperty("completed_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            >= DateTimeOffset.Parse(completed.GetProperty("submitted_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(completed.GetProperty("completed_at").GetString(), completed.GetProperty("updated_at").GetString());
    }

    [Fact]
    public async Task TimesInStatusAreRfc3339UtcWithZ()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(time: time);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(10));

        var completed = await simulator.WaitForStatusAsync(id, "Completed");

        Assert.Equal("2026-11-28T10:00:00Z", completed.GetProperty("submitted_at").GetString());
        Assert.Equal("2026-11-28T10:00:00Z", completed.GetProperty("completed_at").GetString());
        Assert.Equal("2026-11-28T10:15:00Z", completed.GetProperty("urls_expire_at").GetString());
    }

    [Fact]
    public async Task JobsBeyondTheWorkerPoolWaitInSubmitted()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Workers = 1;
            o.MinimumPreparationTime = TimeSpan.FromMilliseconds(600);
        });

        var first = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        var second = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(5));
        await simulator.WaitForStatusAsync(first, "In Progress");
        var waiting = await simulator.GetStatusAsync(second);
        await simulator.WaitForStatusAsync(first, "Completed");
        await simulator.WaitForStatusAsync(second, "Completed");

        Assert.Equal("Submitted", waiting.GetProperty("status").GetString());
    }

    [Fact]
    public async Task CompletedStaysCompletedAndEachGetSignsUrlsAfresh()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(time: time);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(10));
        var first = await simulator.WaitForStatusAsync(id, "Completed");

        var sameSecond = await simulator.GetStatusAsync(id);
        time.Advance(TimeSpan.FromSeconds(2));
        var later = await simulator.GetStatusAsync(id);

        Assert.Equal("Completed", later.GetProperty("status").GetString());
        Assert.Equal(Url(first), Url(sameSecond));
        Assert.NotEqual(Url(first), Url(later));
        Assert.Equal("2026-11-28T10:15:02Z", later.GetProperty("urls_expire_at").GetString());
        Assert.Contains("expires=" + Now.AddMinutes(15).AddSeconds(2).ToUnixTimeSeconds(), Url(later), StringComparison.Ordinal);
        using var oldUrl = await simulator.Http.SendAsync(simulator.DownloadRequest(Url(first)), Cancellation);
        Assert.Equal(HttpStatusCode.OK, oldUrl.StatusCode);

        static string Url(JsonElement status) => status.GetProperty("download_urls")[0].GetString()!;
    }

    [Theory]
    [InlineData("6f1c0c2e-5d0b-4a57-9a57-0f1b7c3f4d21")]
    [InlineData("not-a-uuid")]
    [InlineData("12345")]
    public async Task StatusOfUnknownOrMalformedRequestIs404Problem(string requestUuid)
    {
        await using var simulator = await TestSimulator.StartAsync();

        using var response = await simulator.Http.GetAsync($"v3/devices/status/{requestUuid}", Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task ResultsArePurgedAfterRetentionAndThenAnswer404()
    {
        var time = TestClock.New(Now);
        await using var simulator = await TestSimulator.StartAsync(o => (o.Retention, o.TokenLifetime) = (TimeSpan.FromHours(24), TimeSpan.FromDays(2)), time);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(10));
        await simulator.WaitForStatusAsync(id, "Completed");
        var folder = simulator.Server.Services.GetRequiredService<Jobs.ResultStorage>().JobFolder(id);

        time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        var kept = await simulator.GetStatusAsync(id);
        time.Advance(TimeSpan.FromSeconds(1));
        using var purged = await simulator.GetStatusResponseAsync(id);

        Assert.Equal("Completed", kept.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, purged.StatusCode);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task PurgeDeletesExpiredResultFilesInTheBackground()
    {
        await using var simulator = await TestSimulator.StartAsync(o =>
        {
            o.Retention = TimeSpan.FromSeconds(2);
            o.PurgeInterval = TimeSpan.FromMilliseconds(50);
        });
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(10));
        await simulator.WaitForStatusAsync(id, "Completed", TimeSpan.FromSeconds(5));
        var folder = simulator.Server.Services.GetRequiredService<Jobs.ResultStorage>().JobFolder(id);

        await Eventually.HoldsAsync(() => !Directory.Exists(folder), "the purge to delete the files");

        using var response = await simulator.GetStatusResponseAsync(id);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task RowsStartAtTheFirstWholeMinuteAtOrAfterFrom()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.DeviceCount = 4);
        var id = await simulator.SubmitAsync(TestSimulator.Day.AddSeconds(30), TestSimulator.Day.AddMinutes(10), "TEXTFILE");

        var completed = await simulator.WaitForStatusAsync(id, "Completed");
        using var download = await simulator.Http.SendAsync(simulator.DownloadRequest(completed.GetProperty("download_urls")[0].GetString()!), Cancellation);
        var lines = (await download.Content.ReadAsStringAsync(Cancellation)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(36, completed.GetProperty("row_count").GetInt64());
        Assert.StartsWith("dev-000000\t2026-11-27T00:01:00Z\t", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("dev-000003\t2026-11-27T00:09:00Z\t", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreparationSpeedIsConfigurable()
    {
        await using var simulator = await TestSimulator.StartAsync(o => o.RowsPerSecond = 200);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddHours(1));
        var completed = await simulator.WaitForStatusAsync(id, "Completed");

        Assert.Equal(180, completed.GetProperty("row_count").GetInt64());
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.85), $"180 rows at 200 rows/s took {watch.Elapsed}");
    }
}
