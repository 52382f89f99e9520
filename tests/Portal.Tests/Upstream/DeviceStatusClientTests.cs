using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Upstream;

namespace Portal.Tests.Upstream;

public class DeviceStatusClientTests
{
    private static readonly TimeRange Range = new(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));

    private static async Task<(EngineTestHost Host, DeviceStatusClient Client)> StartAsync(StubUpstream upstream)
    {
        var host = await EngineTestHost.StartAsync(upstream);
        return (host, host.Services.CreateScope().ServiceProvider.GetRequiredService<DeviceStatusClient>());
    }

    [Fact]
    public async Task SubmitSendsTheContractsBodyWithABearerToken()
    {
        var upstream = new StubUpstream();
        string? body = null;
        upstream.EnqueuePost(request =>
        {
            body = request.Content!.ReadAsStringAsync().GetAwaiter().GetResult();
            return StubUpstream.Accepted("uuid-1");
        });
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Parquet, TestContext.Current.CancellationToken);

        Assert.Equal(new SubmitResult.Accepted("uuid-1"), result);
        using var json = JsonDocument.Parse(body!);
        Assert.Equal("2026-11-27T00:00:00Z", json.RootElement.GetProperty("timerange").GetProperty("from").GetString());
        Assert.Equal("2026-11-28T00:00:00Z", json.RootElement.GetProperty("timerange").GetProperty("to").GetString());
        Assert.Equal("PARQUET", json.RootElement.GetProperty("fileformat").GetString());
        Assert.Equal("token-1", Assert.Single(upstream.Authorizations));
    }

    [Fact]
    public async Task TheTokenIsCachedAcrossCalls()
    {
        var upstream = new StubUpstream();
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        await client.GetStatusAsync("a", TestContext.Current.CancellationToken);
        await client.GetStatusAsync("b", TestContext.Current.CancellationToken);

        Assert.Equal(1, upstream.TokenRequests);
    }

    [Fact]
    public async Task A401FetchesANewTokenOnceAndRetriesOnce()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.Unauthorized, "Unauthorized"));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        Assert.IsType<StatusResult.Found>(result);
        Assert.Equal(2, upstream.TokenRequests);
        Assert.Equal(2, upstream.Gets);
    }

    [Fact]
    public async Task ARepeated401IsTransientNotAnEndlessLoop()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.Unauthorized, "Unauthorized") };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        Assert.IsType<StatusResult.Transient>(result);
        Assert.Equal(2, upstream.TokenRequests);
    }

    [Fact]
    public async Task StatusGetsAPersonWaitsForAreRetriedOnTransientErrors()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        upstream.EnqueueGet(_ => new HttpResponseMessage(HttpStatusCode.BadGateway));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        StatusResult result;
        using (UpstreamCallScope.ForUser())
        {
            result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);
        }

        Assert.IsType<StatusResult.Found>(result);
        Assert.Equal(3, upstream.Gets);
    }

    [Fact]
    public async Task TheTrackersStatusGetIsNotRetriedInsideTheCall()
    {
        var upstream = new StubUpstream();
        upstream.EnqueueGet(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable"));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        // The polling policy reschedules it (PollingPolicy.AfterError): a retry at once would be a wasted call.
        Assert.IsType<StatusResult.Transient>(result);
        Assert.Equal(1, upstream.Gets);
    }

    [Fact]
    public async Task TheSubmitIsNeverRetried()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(HttpStatusCode.ServiceUnavailable, "Service Unavailable", retryAfter: 7));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        var notAccepted = Assert.IsType<SubmitResult.NotAccepted>(result);
        Assert.Equal(TimeSpan.FromSeconds(7), notAccepted.RetryAfter);
        Assert.Equal(1, upstream.Posts);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "NotAccepted")]
    [InlineData(HttpStatusCode.TooManyRequests, "NotAccepted")]
    [InlineData(HttpStatusCode.Forbidden, "NotAccepted")]
    [InlineData(HttpStatusCode.UnprocessableEntity, "Rejected")]
    [InlineData(HttpStatusCode.InternalServerError, "Unknown")]
    [InlineData(HttpStatusCode.BadGateway, "Unknown")]
    [InlineData(HttpStatusCode.GatewayTimeout, "Unknown")]
    public async Task ASubmitAnswerSaysWhetherAJobMayHaveStarted(HttpStatusCode status, string expected)
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(status, status.ToString()));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        Assert.Equal(expected, result.GetType().Name);
        Assert.Equal(1, upstream.Posts);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, "NotAccepted")]
    [InlineData(HttpRequestError.NameResolutionError, "NotAccepted")]
    [InlineData(HttpRequestError.ResponseEnded, "Unknown")]
    [InlineData(HttpRequestError.InvalidResponse, "Unknown")]
    public async Task ASubmitThatFailsOnTheWireIsUnknownUnlessItNeverLeft(HttpRequestError error, string expected)
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => throw new HttpRequestException(error, error.ToString()));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        Assert.Equal(expected, result.GetType().Name);
    }

    [Fact]
    public async Task AnAcceptanceWithoutARequestIdIsUnknown()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Json(HttpStatusCode.Accepted, "not json"));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        Assert.Contains("without a request id", Assert.IsType<SubmitResult.Unknown>(result).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASubmitThatTimesOutAfterSendingIsUnknown()
    {
        var upstream = new StubUpstream { BeforeAnswer = (request, token) => request.Method == HttpMethod.Post ? Task.Delay(Timeout.Infinite, token) : Task.CompletedTask };
        var host = await EngineTestHost.StartAsync(upstream, new Dictionary<string, string?> { ["Upstream:AttemptTimeout"] = "00:00:00.200", ["Upstream:Timeout"] = "00:00:01" });
        await using var _ = host;
        var client = host.Services.CreateScope().ServiceProvider.GetRequiredService<DeviceStatusClient>();

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        Assert.Contains("did not answer in time", Assert.IsType<SubmitResult.Unknown>(result).Error, StringComparison.Ordinal);
        Assert.Single(upstream.Authorizations);
    }

    [Fact]
    public async Task ALongRetryAfterIsReturnedToTheTrackerNotWaitedOut()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.TooManyRequests, "Too Many Requests", retryAfter: 30) };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        var transient = Assert.IsType<StatusResult.Transient>(result);
        Assert.Equal(TimeSpan.FromSeconds(30), transient.RetryAfter);
        Assert.Equal(1, upstream.Gets);
    }

    [Fact]
    public async Task AnUnknownStatusIsReportedNotThrown()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Status("Paused")) };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        var found = Assert.IsType<StatusResult.Found>(result);
        Assert.Equal(UpstreamState.Unknown, found.Status.State);
        Assert.Equal("Paused", found.Status.RawStatus);
    }

    [Fact]
    public async Task ACompletedAnswerCarriesItsUrlsAndIgnoresUnknownFields()
    {
        var expires = new DateTimeOffset(2026, 11, 28, 10, 15, 41, TimeSpan.Zero);
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed("u-1", expires, parts: 2), retryAfter: 3) };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var found = Assert.IsType<StatusResult.Found>(await client.GetStatusAsync("u-1", TestContext.Current.CancellationToken));

        Assert.Equal(UpstreamState.Completed, found.Status.State);
        Assert.Equal(288000, found.Status.RowCount);
        Assert.Equal(2, found.Status.DownloadUrls.Count);
        Assert.EndsWith("part-00001.csv", found.Status.DownloadUrls[1].AbsolutePath, StringComparison.Ordinal);
        Assert.Equal(expires, found.Status.UrlsExpireAt);
        Assert.Equal(TimeSpan.FromSeconds(3), found.RetryAfter);
    }

    [Fact]
    public async Task AValidationProblemIsARejectionWithAReadableReason()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Json(HttpStatusCode.BadRequest,
            """{"title":"One or more validation errors occurred.","status":400,"errors":{"timerange":["The span may be at most 31 days."]}}""",
            mediaType: "application/problem+json"));
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.SubmitAsync(Range, FileFormat.Csv, TestContext.Current.CancellationToken);

        var rejected = Assert.IsType<SubmitResult.Rejected>(result);
        Assert.Contains("timerange: The span may be at most 31 days.", rejected.Reason, StringComparison.Ordinal);
        Assert.Equal(1, upstream.Posts);
    }

    [Fact]
    public async Task AnUnknownRequestIsNotFound()
    {
        var upstream = new StubUpstream { GetFallback = _ => StubUpstream.Problem(HttpStatusCode.NotFound, "Not Found") };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        Assert.IsType<StatusResult.NotFound>(await client.GetStatusAsync("nope", TestContext.Current.CancellationToken));
        Assert.Equal(1, upstream.Gets);
    }

    [Fact]
    public async Task AnUnreachableUpstreamIsTransient()
    {
        var upstream = new StubUpstream { GetFallback = _ => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused") };
        var (host, client) = await StartAsync(upstream);
        await using var _ = host;

        var result = await client.GetStatusAsync("a", TestContext.Current.CancellationToken);

        Assert.Contains("could not be reached", Assert.IsType<StatusResult.Transient>(result).Error, StringComparison.Ordinal);
    }
}
