using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Api;

/// <summary><c>GET /api/v1/me</c>: who the token acts as, their teams, and what is left of the daily allowance of exports.</summary>
public static class MeApi
{
    public static RouteGroupBuilder MapMeApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/me", GetAsync)
            .WithTags("Me")
            .WithName("GetMe")
            .WithSummary("The caller, their teams and their daily allowance of exports")
            .WithDescription("teams: as GET /api/v1/teams. allowance: limit (Exports:DailyAllowancePerUser, or what an admin set for the user), used and remaining today, " +
                "and resets_at (the next midnight UTC). Exports from pages, the API and schedules count alike.");
        return api;
    }

    private static async Task<MeResource> GetAsync(HttpContext context, IExportAllowances allowances, IOptions<PortalAuthorizationOptions> authorization)
    {
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        var allowance = await allowances.GetAsync(user.Id, context.RequestAborted);
        AllowanceHeaders.Write(context.Response, allowance, now: null);
        return new MeResource(user.Id, user.Name, user.IsAdmin,
            new AllowanceResource(allowance.Limit, allowance.Used, allowance.Remaining, allowance.ResetsAt),
            TeamResource.Of(user));
    }
}

/// <summary>The caller as the API sees them.</summary>
public sealed record MeResource(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("is_admin")] bool IsAdmin,
    [property: JsonPropertyName("allowance")] AllowanceResource Allowance,
    [property: JsonPropertyName("teams")] IReadOnlyList<TeamResource> Teams);

/// <summary>The daily allowance of exports: a UTC day.</summary>
public sealed record AllowanceResource(
    [property: JsonPropertyName("limit")] int Limit,
    [property: JsonPropertyName("used")] int Used,
    [property: JsonPropertyName("remaining")] int Remaining,
    [property: JsonPropertyName("resets_at")] DateTimeOffset ResetsAt);

/// <summary>
/// <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c> (Unix seconds) of the daily
/// allowance; when it is used up also <c>Retry-After</c> in seconds until it resets.
/// </summary>
internal static class AllowanceHeaders
{
    public static void Write(HttpResponse response, ExportAllowance allowance, DateTimeOffset? now)
    {
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = allowance.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = allowance.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = allowance.ResetsAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        if (allowance.IsUsedUp)
        {
            var at = now ?? response.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var seconds = Math.Max(1, (long)Math.Ceiling((allowance.ResetsAt - at).TotalSeconds));
            headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }
    }
}
