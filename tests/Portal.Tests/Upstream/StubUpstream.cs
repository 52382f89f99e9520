using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Portal.Tests.Upstream;

/// <summary>
/// The upstream as a message handler: a token endpoint that counts and a programmable answer per call to
/// <c>/v3</c>. Answers are queued per method; when a queue is empty the fallback answers.
/// </summary>
public sealed class StubUpstream : HttpMessageHandler
{
    private readonly ConcurrentQueue<Func<HttpRequestMessage, HttpResponseMessage>> posts = new();
    private readonly ConcurrentQueue<Func<HttpRequestMessage, HttpResponseMessage>> gets = new();

    public static readonly Uri BaseAddress = new("https://upstream.test/api/");

    private int tokenRequests;
    private int postCount;
    private int getCount;

    public int TokenRequests => Volatile.Read(ref tokenRequests);

    public int Posts => Volatile.Read(ref postCount);

    public int Gets => Volatile.Read(ref getCount);

    public ConcurrentBag<string?> Authorizations { get; } = [];

    public Func<HttpRequestMessage, HttpResponseMessage> GetFallback { get; set; } = _ => Json(HttpStatusCode.OK, Status("In Progress"));

    public Func<HttpRequestMessage, HttpResponseMessage> PostFallback { get; set; } = _ => Accepted(Guid.NewGuid().ToString());

    public Func<HttpRequestMessage, CancellationToken, Task>? BeforeAnswer { get; set; }

    public int TokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>The clock <see cref="Sent"/> is read from.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Every call that reached the upstream (token requests included), in order.</summary>
    public ConcurrentQueue<(DateTimeOffset At, string Path)> Sent { get; } = new();

    public void EnqueuePost(Func<HttpRequestMessage, HttpResponseMessage> answer) => posts.Enqueue(answer);

    public void EnqueueGet(Func<HttpRequestMessage, HttpResponseMessage> answer) => gets.Enqueue(answer);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sent.Enqueue((Clock.GetUtcNow(), request.RequestUri!.AbsolutePath));
        if (request.RequestUri!.AbsolutePath.EndsWith("/oauth2/token", StringComparison.Ordinal))
        {
            var n = Interlocked.Increment(ref tokenRequests);
            return Json(HttpStatusCode.OK, $$"""{"access_token":"token-{{n}}","token_type":"Bearer","expires_in":{{TokenLifetimeSeconds}}}""");
        }

        Authorizations.Add(request.Headers.Authorization?.Parameter);
        if (BeforeAnswer is not null)
        {
            await BeforeAnswer(request, cancellationToken);
        }
        if (request.Method == HttpMethod.Post)
        {
            Interlocked.Increment(ref postCount);
            return (posts.TryDequeue(out var answer) ? answer : PostFallback)(request);
        }
        Interlocked.Increment(ref getCount);
        return (gets.TryDequeue(out var get) ? get : GetFallback)(request);
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string body, int? retryAfter = null, string mediaType = "application/json")
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        if (retryAfter is { } seconds)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(seconds));
        }
        return response;
    }

    public static HttpResponseMessage Accepted(string uuid) =>
        Json(HttpStatusCode.Accepted, $$"""{"request_uuid":"{{uuid}}","status":"Submitted"}""");

    public static HttpResponseMessage Problem(HttpStatusCode status, string title, int? retryAfter = null) =>
        Json(status, $$"""{"type":"about:blank","title":"{{title}}","status":{{(int)status}}}""", retryAfter, "application/problem+json");

    public static string Status(string status, string uuid = "6f1c0c2e-5d0b-4a57-9a57-0f1b7c3f4d21") =>
        $$"""{"request_uuid":"{{uuid}}","status":"{{status}}","fileformat":"CSV","timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-28T00:00:00Z"},"submitted_at":"2026-11-28T10:00:00Z","updated_at":"2026-11-28T10:00:01Z","vendor_extension":{"x":1} }""";

    public static string Completed(string uuid, DateTimeOffset expires, int parts = 1)
    {
        var urls = string.Join(",", Enumerable.Range(0, parts)
            .Select(p => $"\"https://files.test/results/{uuid}/part-{p:D5}.csv?expires={expires.ToUnixTimeSeconds()}&signature=ab{p}\""));
        var expiresAt = expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        return $$"""
            {"request_uuid":"{{uuid}}","status":"Completed","fileformat":"CSV",
             "timerange":{"from":"2026-11-27T00:00:00Z","to":"2026-11-28T00:00:00Z"},
             "submitted_at":"2026-11-28T10:00:00Z","updated_at":"2026-11-28T10:00:41Z","completed_at":"2026-11-28T10:00:41Z",
             "row_count":288000,"download_urls":[{{urls}}],"urls_expire_at":"{{expiresAt}}","unknown_field":true}
            """;
    }
}
