using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests.Contract;

public sealed class DownloadTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static async Task<(TestSimulator Simulator, Guid Id, string Url)> CompletedAsync(
        string format = "CSV", TimeProvider? time = null, Action<SimulatorOptions>? configure = null, string pathPrefix = "")
    {
        var simulator = await TestSimulator.StartAsync(configure, time, pathPrefix);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(10), format);
        var status = await simulator.WaitForStatusAsync(id, "Completed");
        return (simulator, id, status.GetProperty("download_urls")[0].GetString()!);
    }

    private static HttpClient Anonymous(TestSimulator simulator) => new() { BaseAddress = simulator.Server.BaseAddress };

    [Theory]
    [InlineData("CSV", "text/csv", "part-00000.csv")]
    [InlineData("PARQUET", "application/vnd.apache.parquet", "part-00000.parquet")]
    [InlineData("JSON", "application/json", "part-00000.json")]
    [InlineData("ORC", "application/vnd.apache.orc", "part-00000.orc")]
    [InlineData("AVRO", "application/avro", "part-00000.avro")]
    [InlineData("TEXTFILE", "text/plain", "part-00000.txt")]
    public async Task DownloadServesTheFileWithoutAuthorization(string format, string contentType, string fileName)
    {
        var (simulator, id, url) = await CompletedAsync(format);
        await using var _ = simulator;
        using var client = Anonymous(simulator);

        using var response = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"attachment; filename=\"{fileName}\"", response.Content.Headers.GetValues("Content-Disposition").Single());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.NotNull(response.Headers.ETag);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancellation);
        Assert.Equal(bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(simulator.Server.Services.GetRequiredService<Jobs.ResultStorage>().JobFolder(id), fileName), Cancellation), bytes);
        Assert.EndsWith($"/files/{id:D}/{fileName}", new Uri(url).AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RangeRequestIs206WithThosesBytes()
    {
        var (simulator, _, url) = await CompletedAsync();
        await using var __ = simulator;
        using var client = Anonymous(simulator);
        using var whole = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);
        var all = await whole.Content.ReadAsByteArrayAsync(Cancellation);
        var request = simulator.DownloadRequest(url);
        request.Headers.Range = new RangeHeaderValue(10, 19);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(all[10..20], await response.Content.ReadAsByteArrayAsync(Cancellation));
        Assert.Equal(new ContentRangeHeaderValue(10, 19, all.Length), response.Content.Headers.ContentRange);
    }

    [Fact]
    public async Task ETagStaysTheSameWhenUrlsAreSignedAgain()
    {
        var time = TestClock.New(Now);
        var (simulator, id, first) = await CompletedAsync(time: time);
        await using var _ = simulator;
        using var client = Anonymous(simulator);
        time.Advance(TimeSpan.FromMinutes(1));
        var second = (await simulator.GetStatusAsync(id)).GetProperty("download_urls")[0].GetString()!;

        using var a = await client.SendAsync(simulator.DownloadRequest(first), Cancellation);
        using var b = await client.SendAsync(simulator.DownloadRequest(second), Cancellation);

        Assert.NotEqual(first, second);
        Assert.Equal(a.Headers.ETag, b.Headers.ETag);
    }

    [Fact]
    public async Task UrlSignatureIsHmacSha256OverMethodPathAndExpiry()
    {
        var (simulator, _, url) = await CompletedAsync(configure: o => o.SigningSecret = "known-secret", pathPrefix: "/sim");
        await using var __ = simulator;
        var uri = new Uri(url);
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);

        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            "known-secret"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes($"GET\n{uri.AbsolutePath}\n{query["expires"]}")));

        Assert.StartsWith("/sim/files/", uri.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(expected, query["signature"]);
    }

    [Fact]
    public async Task WrongSignatureIs403InvalidSignature()
    {
        var (simulator, _, url) = await CompletedAsync();
        await using var _ = simulator;
        using var client = Anonymous(simulator);
        var tampered = url[..^4] + (url[^4..] == "0000" ? "1111" : "0000");

        using var response = await client.SendAsync(simulator.DownloadRequest(tampered), Cancellation);

        await AssertForbiddenAsync(response, "invalid signature");
    }

    [Fact]
    public async Task UrlForAnotherFileIs403InvalidSignature()
    {
        var (simulator, _, url) = await CompletedAsync();
        await using var _ = simulator;
        using var client = Anonymous(simulator);

        using var response = await client.SendAsync(simulator.DownloadRequest(url.Replace("part-00000", "part-00001", StringComparison.Ordinal)), Cancellation);

        await AssertForbiddenAsync(response, "invalid signature");
    }

    [Fact]
    public async Task UrlWithoutSignatureIs403InvalidSignature()
    {
        var (simulator, _, url) = await CompletedAsync();
        await using var _ = simulator;
        using var client = Anonymous(simulator);

        using var response = await client.GetAsync(new Uri(simulator.Server.BaseAddress, new Uri(url).AbsolutePath), Cancellation);

        await AssertForbiddenAsync(response, "invalid signature");
    }

    [Fact]
    public async Task ExpiredUrlIs403ExpiredAndSignatureIsCheckedFirst()
    {
        var time = TestClock.New(Now);
        var (simulator, _, url) = await CompletedAsync(time: time, configure: o => o.UrlLifetime = TimeSpan.FromMinutes(15));
        await using var _ = simulator;
        using var client = Anonymous(simulator);
        time.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        using var stillValid = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);
        time.Advance(TimeSpan.FromSeconds(1));

        using var expired = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);
        using var expiredAndTampered = await client.SendAsync(simulator.DownloadRequest(url[..^1] + (url[^1] == '0' ? '1' : '0')), Cancellation);

        Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
        await AssertForbiddenAsync(expired, "expired");
        await AssertForbiddenAsync(expiredAndTampered, "invalid signature");
    }

    [Fact]
    public async Task DownloadOfPurgedResultIs404()
    {
        var time = TestClock.New(Now);
        var (simulator, _, url) = await CompletedAsync(time: time, configure: o =>
        {
            o.Retention = TimeSpan.FromMinutes(5);
            o.UrlLifetime = TimeSpan.FromMinutes(15);
        });
        await using var _ = simulator;
        using var client = Anonymous(simulator);
        time.Advance(TimeSpan.FromMinutes(5));

        using var response = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DownloadHostAndBasePathAreConfigurable()
    {
        var (simulator, id, url) = await CompletedAsync(configure: o => o.DownloadBaseUrl = "http://files.example:9000/blobs/results/", pathPrefix: "/api");
        await using var _ = simulator;
        using var client = Anonymous(simulator);
        var uri = new Uri(url);

        // The test stands in for DNS: the storage host is this server.
        using var response = await client.GetAsync(new Uri(simulator.Server.BaseAddress, uri.PathAndQuery), Cancellation);

        Assert.Equal("files.example", uri.Host);
        Assert.Equal(9000, uri.Port);
        Assert.Equal($"/blobs/results/{id:D}/part-00000.csv", uri.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MultiPartResultHasFullPartsInRowOrderThenTheRest()
    {
        await using var simulator = await TestSimulator.StartAsync(o => (o.PartSize, o.DeviceCount) = (100, 5));
        using var client = Anonymous(simulator);
        var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(50), "TEXTFILE");
        var status = await simulator.WaitForStatusAsync(id, "Completed");

        var urls = status.GetProperty("download_urls").EnumerateArray().Select(u => u.GetString()!).ToList();
        var parts = new List<string[]>();
        foreach (var url in urls)
        {
            using var response = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);
            parts.Add((await response.Content.ReadAsStringAsync(Cancellation)).TrimEnd('\n').Split('\n'));
        }

        Assert.Equal(250, status.GetProperty("row_count").GetInt64());
        Assert.Equal(["part-00000.txt", "part-00001.txt", "part-00002.txt"], urls.Select(u => new Uri(u).Segments[^1]));
        Assert.Equal([100, 100, 50], parts.Select(p => p.Length));
        var timestamps = parts.SelectMany(p => p).Select(line => line.Split('\t')).Select(f => (f[1], f[0])).ToList();
        Assert.Equal(timestamps.Order(), timestamps);
        Assert.Equal(("2026-11-27T00:00:00Z", "dev-000000"), timestamps[0]);
        Assert.Equal(("2026-11-27T00:49:00Z", "dev-000004"), timestamps[^1]);
    }

    [Fact]
    public async Task SameRequestYieldsTheSameBytes()
    {
        await using var simulator = await TestSimulator.StartAsync();
        using var client = Anonymous(simulator);

        var contents = new List<byte[]>();
        foreach (var _ in new[] { 1, 2 })
        {
            var id = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddMinutes(30), "JSON");
            var url = (await simulator.WaitForStatusAsync(id, "Completed")).GetProperty("download_urls")[0].GetString()!;
            using var response = await client.SendAsync(simulator.DownloadRequest(url), Cancellation);
            contents.Add(await response.Content.ReadAsByteArrayAsync(Cancellation));
        }

        Assert.Equal(contents[0], contents[1]);
    }

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string title)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(title, problem.GetProperty("title").GetString());
    }
}
