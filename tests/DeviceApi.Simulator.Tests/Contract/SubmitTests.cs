using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Portal.Testing;

namespace DeviceApi.Simulator.Tests.Contract;

public sealed class SubmitTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SubmitIs202WithLocationAndSubmittedBody()
    {
        await using var simulator = await TestSimulator.StartAsync();

        using var response = await simulator.SubmitAsync(TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddHours(1), "PARQUET"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var id = body.GetProperty("request_uuid").GetGuid();
        Assert.Equal(id.ToString("D"), body.GetProperty("request_uuid").GetString());
        Assert.Equal("Submitted", body.GetProperty("status").GetString());
        Assert.Equal($"/v3/devices/status/{id:D}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task LocationIncludesThePathPrefixTheApiIsMountedUnder()
    {
        await using var simulator = await TestSimulator.StartAsync(pathPrefix: "/upstream/vendor");

        using var response = await simulator.SubmitAsync(TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddHours(1)));

        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var location = response.Headers.Location!.OriginalString;
        Assert.Equal($"/upstream/vendor/v3/devices/status/{body.GetProperty("request_uuid").GetString()}", location);
        using var status = await simulator.Http.GetAsync(new Uri(simulator.Server.BaseAddress, location), Cancellation);
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public async Task IdenticalSubmitsStartSeparateRequests()
    {
        await using var simulator = await TestSimulator.StartAsync();

        var first = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddHours(1));
        var second = await simulator.SubmitAsync(TestSimulator.Day, TestSimulator.Day.AddHours(1));

        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(null, "CSV")]
    [InlineData("parquet", "PARQUET")]
    [InlineData("Json", "JSON")]
    [InlineData("orc", "ORC")]
    [InlineData("AVRO", "AVRO")]
    [InlineData("textfile", "TEXTFILE")]
    public async Task FileFormatIsMatchedCaseInsensitivelyAndDefaultsToCsv(string? requested, string expected)
    {
        await using var simulator = await TestSimulator.StartAsync();
        var body = requested is null
            ? """{"timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T01:00:00Z"}}"""
            : TestSimulator.Body(TestSimulator.Day, TestSimulator.Day.AddHours(1), requested);

        using var response = await simulator.SubmitAsync(body);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("request_uuid").GetGuid();
        var status = await simulator.GetStatusAsync(id);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(expected, status.GetProperty("fileformat").GetString());
    }

    [Fact]
    public async Task TimesWithAnyOffsetAreConvertedToUtc()
    {
        await using var simulator = await TestSimulator.StartAsync();

        using var response = await simulator.SubmitAsync("""{"timerange":{"from":"2026-11-27T02:00:00.1234567+02:00","to":"2026-11-27T01:30:00-00:30"},"fileformat":"CSV"}""");
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("request_uuid").GetGuid();
        var range = (await simulator.GetStatusAsync(id)).GetProperty("timerange");

        Assert.Equal("2026-11-27T00:00:00.1234567Z", range.GetProperty("from").GetString());
        Assert.Equal("2026-11-27T02:00:00Z", range.GetProperty("to").GetString());
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"fileformat":"CSV"}""", "timerange" },
        { """{"timerange":null}""", "timerange" },
        { """{"timerange":"yesterday"}""", "timerange" },
        { """{"timerange":{"to":"2026-11-27T01:00:00Z"}}""", "timerange.from" },
        { """{"timerange":{"from":"2026-11-27T00:00:00Z"}}""", "timerange.to" },
        { """{"timerange":{"from":"27.11.2026","to":"2026-11-27T01:00:00Z"}}""", "timerange.from" },
        { """{"timerange":{"from":"2026-11-27T00:00:00","to":"2026-11-27T01:00:00Z"}}""", "timerange.from" },
        { """{"timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T01:00:00.12345678Z"}}""", "timerange.to" },
        { """{"timerange":{"from":"2026-11-27T00:00:00Z","to":42}}""", "timerange.to" },
        { """{"timerange":{"from":"2026-11-27T01:00:00Z","to":"2026-11-27T01:00:00Z"}}""", "timerange" },
        { """{"timerange":{"from":"2026-11-27T02:00:00Z","to":"2026-11-27T01:00:00Z"}}""", "timerange" },
        { """{"timerange":{"from":"2026-10-27T00:00:00Z","to":"2026-11-27T00:00:01Z"}}""", "timerange" },
        { """{"timerange":{"from":"2026-11-28T09:00:00Z","to":"2026-11-28T10:05:01Z"}}""", "timerange" },
        { """{"timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T01:00:00Z"},"fileformat":"XLSX"}""", "fileformat" },
        { """{"timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-27T01:00:00Z"},"fileformat":7}""", "fileformat" },
        { "[]", "body" },
        { "{not json", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task InvalidSubmitIs400ProblemWithTheFieldInError(string body, string field)
    {
        await using var simulator = await TestSimulator.StartAsync(time: TestClock.New(Now));

        using var response = await simulator.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("type").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        var errors = problem.GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(p => p.Name));
        Assert.NotEmpty(errors.GetProperty(field).EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(0, simulator.Server.Services.GetRequiredService<Jobs.JobStore>().Count);
    }

    [Fact]
    public async Task MissingBoundsAreEachReported()
    {
        await using var simulator = await TestSimulator.StartAsync();

        using var response = await simulator.SubmitAsync("""{"timerange":{},"fileformat":"PDF"}""");

        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors");
        Assert.Equal(["fileformat", "timerange.from", "timerange.to"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Theory]
    [InlineData("2026-10-28T00:00:00Z", "2026-11-28T00:00:00Z")]
    [InlineData("2026-11-28T09:00:00Z", "2026-11-28T10:05:00Z")]
    public async Task SpanOfExactly31DaysAndEndFiveMinutesAheadAreAccepted(string from, string to)
    {
        await using var simulator = await TestSimulator.StartAsync(time: TestClock.New(Now));

        using var response = await simulator.SubmitAsync($$$"""{"timerange":{"from":"{{{from}}}","to":"{{{to}}}"},"fileformat":"CSV"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
