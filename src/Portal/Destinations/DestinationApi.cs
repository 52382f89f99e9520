using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Destinations;

public static class DestinationApi
{
    /// <summary>
    /// <c>/destinations</c> under <paramref name="api"/> (the <c>/api/v1</c> group): define, list (<c>?team=</c>), read, delete,
    /// test. Credentials go in and never come out. A destination the caller may not read is 404; deleting or testing a
    /// team's destination as a member who is not one of its maintainers is 403.
    /// </summary>
    public static IEndpointRouteBuilder MapDestinationApi(this IEndpointRouteBuilder api)
    {
        var destinations = api.MapGroup("/destinations").WithTags("Destinations");
        destinations.MapPost("/", CreateAsync)
            .WithDescription("Defines a destination: {\"name\",\"kind\":\"azure-blob\",\"connectionString\"|\"containerSasUrl\",\"container\",\"pathTemplate\"?} or "
                + "{\"name\",\"kind\":\"sftp\",\"host\",\"port\",\"username\",\"password\"|\"privateKey\",\"hostKeyFingerprint\",\"directory\",\"pathTemplate\"?}, "
                + "each with \"team\"? (null: the caller's own). 201 without the credential.");
        destinations.MapGet("/", async (string? team, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            TypedResults.Ok(await service.ListAsync(users.Read(principal), string.IsNullOrWhiteSpace(team) ? null : team.Trim(), ct)));
        destinations.MapGet("/{id:guid}", async Task<Results<Ok<DestinationInfo>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.GetAsync(users.Read(principal), id, ct) is { } info ? TypedResults.Ok(info) : NotFound(id));
        destinations.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.DeleteAsync(users.Read(principal), id, ct) switch
            {
                Access.Change => TypedResults.NoContent(),
                Access.ReadOnly => Forbidden(),
                _ => NotFound(id),
            });
        destinations.MapPost("/{id:guid}/test", async Task<Results<Ok<DestinationTestResult>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.TestAsync(users.Read(principal), id, ct) switch
            {
                ({ } result, _) => TypedResults.Ok(result),
                (_, Access.ReadOnly) => Forbidden(),
                _ => NotFound(id),
            })
            .WithDescription("Writes a small probe file to the destination and removes it: {\"succeeded\":true|false,\"message\":\"what failed, in words\"}.");
        return api;
    }

    private static async Task<Results<Created<DestinationInfo>, ValidationProblem>> CreateAsync(
        DestinationInput? body, ClaimsPrincipal principal, UserReader users, DestinationService service, HttpRequest request, CancellationToken ct)
    {
        var outcome = await service.CreateAsync(users.Read(principal), body ?? new DestinationInput(null, null, null, null, null, null, null, null, null, null, null, null, null), ct);
        return outcome switch
        {
            DestinationRegistration.Created created => TypedResults.Created(
                $"{request.PathBase}{request.Path.Value?.TrimEnd('/')}/{created.Destination.Id}", created.Destination),
            DestinationRegistration.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The destination was not saved"),
            _ => throw new InvalidOperationException(),
        };
    }

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Destination not found", detail: $"There is no destination {id} of yours or your teams'.", statusCode: StatusCodes.Status404NotFound);

    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(title: "Only the team's maintainers can change this.",
            detail: "You are a member of the destination's team: you read it, its maintainers delete and test it.", statusCode: StatusCodes.Status403Forbidden);

    /// <summary>The signed-in caller as the services scope it.</summary>
    public sealed class UserReader(IOptions<PortalAuthorizationOptions> authorization)
    {
        public ExportUser Read(ClaimsPrincipal principal) => ExportUser.FromPrincipal(principal, authorization.Value.AdminRole);
    }
}
