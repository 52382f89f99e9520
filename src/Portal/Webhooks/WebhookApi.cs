using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Webhooks;

/// <summary>The body of <c>POST /webhooks</c>; <c>team</c>: the team it belongs to (null: the caller's own).</summary>
public sealed record WebhookRegistrationRequest(string? Url, IReadOnlyList<string>? Events, string? Team = null);

/// <summary>
/// The body of <c>PATCH /webhooks/{id}</c>: the events the endpoint receives from now on (null with a <c>team</c>: as they
/// are), and <c>team</c>, the team to move it to (null: it stays where it is).
/// </summary>
public sealed record WebhookUpdateRequest(IReadOnlyList<string>? Events, string? Team = null);

/// <summary>A new secret, shown once: at registration and after a rotation.</summary>
public sealed record WebhookSecretResponse(Guid Id, string Secret, string? Url = null, IReadOnlyList<string>? Events = null, DateTimeOffset? PreviousSecretValidUntil = null);

public static class WebhookApi
{
    /// <summary>
    /// <c>/webhooks</c> under <paramref name="api"/> (the <c>/api/v1</c> group): register, list, read with the delivery
    /// log, change its events or team, delete, send a test event, re-send a delivery, rotate the secret (<c>?team=</c> filters
    /// the list). A webhook the caller may not read is 404; a change by a member of its team who is not one of its maintainers is 403.
    /// </summary>
    public static IEndpointRouteBuilder MapWebhookApi(this IEndpointRouteBuilder api)
    {
        var webhooks = api.MapGroup("/webhooks").WithTags("Webhooks");
        webhooks.MapPost("/", RegisterAsync);
        webhooks.MapGet("/", async (string? team, ClaimsPrincipal principal, UserReader users, WebhookService service, CancellationToken ct) =>
            TypedResults.Ok(await service.ListAsync(users.Read(principal), string.IsNullOrWhiteSpace(team) ? null : team.Trim(), ct)));
        webhooks.MapGet("/{id:guid}", async Task<Results<Ok<WebhookEndpointDetails>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, WebhookService service, CancellationToken ct) =>
            await service.GetAsync(users.Read(principal), id, ct) is { } details ? TypedResults.Ok(details) : NotFound(id));
        webhooks.MapPatch("/{id:guid}", UpdateAsync)
            .WithDescription("Changes the events the endpoint receives: {\"events\":[\"export.completed\"]}. Deliveries already queued are sent as queued.");
        webhooks.MapPost("/{id:guid}/deliveries/{deliveryId:long}/resend", ResendAsync)
            .WithDescription("Queues the event of one delivery again, with a new webhook-id, sent and retried like any other delivery. 202 with the new delivery.");
        webhooks.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, WebhookService service, CancellationToken ct) =>
            await service.DeleteAsync(users.Read(principal), id, ct) switch
            {
                Access.Change => TypedResults.NoContent(),
                Access.ReadOnly => Forbidden(),
                _ => NotFound(id),
            });
        webhooks.MapPost("/{id:guid}/test", async Task<Results<Accepted, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, WebhookService service, IOptions<WebhookOptions> options, HttpResponse response, CancellationToken ct) =>
            await service.SendTestAsync(users.Read(principal), id, ct) switch
            {
                WebhookTestOutcome.Queued => TypedResults.Accepted($"{id}"),
                WebhookTestOutcome.TooSoon => TooSoon(response, options.Value),
                WebhookTestOutcome.Disabled => TypedResults.Problem(
                    title: "The webhook is disabled",
                    detail: "Its deliveries failed for too long. Fix the receiver, then register it again.",
                    statusCode: StatusCodes.Status409Conflict),
                WebhookTestOutcome.Forbidden => Forbidden(),
                _ => NotFound(id),
            });
        webhooks.MapPost("/{id:guid}/rotate-secret", async Task<Results<Ok<WebhookSecretResponse>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, WebhookService service, IOptions<WebhookOptions> options, TimeProvider time, CancellationToken ct) =>
            await service.RotateSecretAsync(users.Read(principal), id, ct) switch
            {
                ({ } secret, _) => TypedResults.Ok(new WebhookSecretResponse(id, secret, PreviousSecretValidUntil: time.GetUtcNow() + options.Value.SecretOverlap)),
                (_, Access.ReadOnly) => Forbidden(),
                _ => NotFound(id),
            });
        return api;
    }

    private static ProblemHttpResult TooSoon(HttpResponse response, WebhookOptions options)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(options.TestInterval.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            title: "Too many test events",
            detail: $"Send at most one test event every {seconds} s per webhook, and none while {options.MaxPendingTests} are still waiting to be delivered.",
            statusCode: StatusCodes.Status429TooManyRequests);
    }

    private static async Task<Results<Created<WebhookSecretResponse>, ValidationProblem>> RegisterAsync(
        WebhookRegistrationRequest? body, ClaimsPrincipal principal, UserReader users, WebhookService service, HttpRequest request, CancellationToken ct)
    {
        var outcome = await service.RegisterAsync(users.Read(principal), body?.Url, body?.Events, body?.Team, ct);
        return outcome switch
        {
            WebhookRegistration.Created created => TypedResults.Created(
                $"{request.PathBase}{request.Path.Value?.TrimEnd('/')}/{created.Endpoint.Id}",
                new WebhookSecretResponse(created.Endpoint.Id, created.Secret, created.Endpoint.Url, created.Endpoint.Events)),
            WebhookRegistration.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The webhook was not registered"),
            _ => throw new InvalidOperationException(),
        };
    }

    private static async Task<Results<Ok<WebhookEndpointInfo>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        Guid id, WebhookUpdateRequest? body, ClaimsPrincipal principal, UserReader users, WebhookService service, CancellationToken ct) =>
        await service.UpdateEventsAsync(users.Read(principal), id, body?.Events, body?.Team, ct) switch
        {
            WebhookUpdate.Updated updated => TypedResults.Ok(updated.Endpoint),
            WebhookUpdate.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The webhook was not changed"),
            WebhookUpdate.Forbidden => Forbidden(),
            _ => NotFound(id),
        };

    private static async Task<Results<Accepted<WebhookDeliveryInfo>, ProblemHttpResult>> ResendAsync(
        Guid id, long deliveryId, ClaimsPrincipal principal, UserReader users, WebhookService service, HttpRequest request, CancellationToken ct) =>
        await service.ResendAsync(users.Read(principal), id, deliveryId, ct) switch
        {
            WebhookResend.Queued queued => TypedResults.Accepted($"{request.PathBase}{Portal.Api.ApiExtensions.RoutePrefix}/webhooks/{id}", queued.Delivery),
            WebhookResend.Disabled => TypedResults.Problem(
                title: "The webhook is disabled",
                detail: "Its deliveries failed for too long. Fix the receiver, then register it again.",
                statusCode: StatusCodes.Status409Conflict),
            WebhookResend.StillPending => TypedResults.Problem(
                title: "The delivery is still being sent",
                detail: "It is retried until it is delivered or given up; re-send it after that.",
                statusCode: StatusCodes.Status409Conflict),
            WebhookResend.Forbidden => Forbidden(),
            _ => TypedResults.Problem(title: "Delivery not found", detail: $"There is no delivery {deliveryId} of your webhook {id}.", statusCode: StatusCodes.Status404NotFound),
        };

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Webhook not found", detail: $"There is no webhook {id} of yours or your teams'.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(title: "Only the team's maintainers can change this.",
            detail: "You are a member of the webhook's team: you read it and its deliveries, its maintainers change it.", statusCode: StatusCodes.Status403Forbidden);

    /// <summary>The signed-in caller as the services scope it.</summary>
    public sealed class UserReader(IOptions<PortalAuthorizationOptions> authorization)
    {
        public ExportUser Read(ClaimsPrincipal principal) => ExportUser.FromPrincipal(principal, authorization.Value.AdminRole);
    }
}
