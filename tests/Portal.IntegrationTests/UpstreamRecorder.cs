using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Portal.IntegrationTests;

/// <summary>
/// Records each upstream attempt the portal's clients make, token requests included (innermost handler: only what
/// is sent), and can rewrite status answers.
/// </summary>
public sealed class UpstreamRecorder
{
    public ConcurrentQueue<UpstreamCall> Calls { get; } = new();

    /// <summary>When set, replaces the <c>status</c> of status answers that are not <c>Completed</c>.</summary>
    public string? ReplaceOpenStatusWith { get; set; }

    /// <summary>When set, rewrites the body of every successful status answer, as a vendor sending other data would.</summary>
    public Func<string, string>? RewriteStatus { get; set; }

    public const string TokenPath = "/oauth2/token";

    /// <summary>The export submissions (token requests are POSTs too, and not counted here).</summary>
    public int Posts(HttpStatusCode? status = null) =>
        Calls.Count(c => c.Method == "POST" && !c.IsToken && (status is null || c.Status == status));

    public sealed record UpstreamCall(string Method, string Path, DateTimeOffset SentAt, DateTimeOffset AnsweredAt, HttpStatusCode? Status, TimeSpan? RetryAfter)
    {
        public bool IsToken => Path.EndsWith(TokenPath, StringComparison.Ordinal);
    }

    internal sealed class Handler(UpstreamRecorder recorder) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var sent = DateTimeOffset.UtcNow;
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, cancellationToken);
                if (recorder.RewriteStatus is { } rewrite && request.Method == HttpMethod.Get && response.StatusCode == HttpStatusCode.OK)
                {
                    var body = rewrite(await response.Content.ReadAsStringAsync(cancellationToken));
                    response.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }
                if (recorder.ReplaceOpenStatusWith is { } replacement && request.Method == HttpMethod.Get && response.StatusCode == HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    body = body.Replace("\"status\":\"In Progress\"", $"\"status\":\"{replacement}\"", StringComparison.Ordinal)
                        .Replace("\"status\":\"Submitted\"", $"\"status\":\"{replacement}\"", StringComparison.Ordinal);
                    response.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }
                return response;
            }
            finally
            {
                recorder.Calls.Enqueue(new UpstreamCall(request.Method.Method, request.RequestUri!.AbsolutePath, sent, DateTimeOffset.UtcNow,
                    response?.StatusCode, response?.Headers.RetryAfter?.Delta));
            }
        }
    }
}
