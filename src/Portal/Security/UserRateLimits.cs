using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Portal.Security;

/// <summary>Requests per user and per access token, section <c>RateLimits</c>.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Requests to <c>/api/v1</c> (other than its file downloads) one user, and one token, may make per window.</summary>
    [Range(1, 1_000_000)]
    public int ApiPerWindow { get; set; } = 300;

    /// <summary>
    /// Downloads and zips (<c>/exports/{id}/files/...</c> and <c>/api/v1/exports/{id}/files/...</c>) one user, and one
    /// token, may start per window; each may call the device platform for a fresh link or the file's parts.
    /// </summary>
    [Range(1, 1_000_000)]
    public int FilesPerWindow { get; set; } = 60;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Where the counters of a limit live: in this process (one instance), or shared by every instance in Redis
/// (<c>Hosting/ScaleOut</c> replaces it).
/// </summary>
public interface IRateLimitPartitions
{
    RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window);
}

/// <summary>Counters in this process.</summary>
public sealed class InProcessRateLimitPartitions : IRateLimitPartitions
{
    public RateLimitPartition<string> FixedWindow(string key, int permitLimit, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permitLimit,
            Window = window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
}

/// <summary>
/// The app-wide limits of signed-in users on the API and the file routes: one counter per user and one per access
/// token (a request takes from both), so several tokens of one user do not multiply the user's share. A rejected
/// request gets 429 with <c>Retry-After</c> (and problem+json on <c>/api</c>). Anonymous requests pass here: they are
/// refused by authorization before the limiter runs.
/// </summary>
public static class UserRateLimits
{
    /// <summary>The claim an access token's id travels in (set by the API's token handler).</summary>
    public const string TokenIdClaim = "portal_token_id";

    private const string ApiPrefix = "/api/v1";

    public static PartitionedRateLimiter<HttpContext> Create() =>
        PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, byToken: false)),
            PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, byToken: true)));

    private static RateLimitPartition<string> Partition(HttpContext context, bool byToken)
    {
        var kind = KindOf(context.Request.Path);
        var user = context.User;
        if (kind is null || user.Identity?.IsAuthenticated != true)
        {
            return RateLimitPartition.GetNoLimiter("");
        }
        var userId = user.FindFirstValue(ExportUser.ObjectIdClaim) ?? user.FindFirstValue("oid") ?? user.FindFirstValue(ClaimTypes.NameIdentifier);
        var tokenId = user.FindFirstValue(TokenIdClaim);
        var id = byToken ? (tokenId is null ? null : "token:" + tokenId) : (userId is null ? null : "user:" + userId);
        if (id is null)
        {
            return RateLimitPartition.GetNoLimiter("");
        }
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var limit = kind == "files" ? options.FilesPerWindow : options.ApiPerWindow;
        return context.RequestServices.GetRequiredService<IRateLimitPartitions>().FixedWindow($"{kind}:{id}", limit, options.Window);
    }

    /// <summary>"files" for downloads and zips, "api" for the rest of <c>/api/v1</c>; null for what is not limited here.</summary>
    public static string? KindOf(PathString path)
    {
        var api = path.StartsWithSegments(ApiPrefix, out var rest);
        var route = api ? rest : path;
        // /exports/{id}/files/{part} and /exports/{id}/files/all.zip
        var segments = route.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (segments is ["exports", _, "files", ..])
        {
            return "files";
        }
        return api ? "api" : null;
    }

    /// <summary>Says when to come back: the limiter's own <c>Retry-After</c>, else the window.</summary>
    public static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var window = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.Window;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var kind = KindOf(context.Request.Path);
        if (kind is not null && context.Request.Path.StartsWithSegments(ApiPrefix))
        {
            var detail = kind == "files"
                ? $"You have started the most downloads allowed per {Window(window)} (RateLimits:FilesPerWindow); try again in {seconds} s."
                : $"You have made the most API requests allowed per {Window(window)} (RateLimits:ApiPerWindow); try again in {seconds} s.";
            await TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(context);
        }
    }

    private static string Window(TimeSpan window) =>
        window == TimeSpan.FromMinutes(1) ? "minute" : window.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s";
}
