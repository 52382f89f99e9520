using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Portal.Security;

namespace Portal.Destinations;

public static class DestinationApi
{
    /// <summary>
    /// <c>/destinations</c> under <paramref name="api"/> (the <c>/api/v1</c> group): define, list, read, delete, test.
    /// Credentials go in and never come out. Another user's destination is 404.
    /// </summary>
    public static IEndpointRouteBuilder MapDestinationApi(this IEndpointRouteBuilder api)
    {
        var destinations = api.MapGroup("/destinations").WithTags("Destinations");
        destinations.MapPost("/", CreateAsync)
            .WithDescription("Defines a destination: {\"name\",\"kind\":\"azure-blob\",\"connectionString\"|\"containerSasUrl\",\"container\",\"pathTemplate\"?} or "
                + "{\"name\",\"kind\":\"sftp\",\"host\",\"port\",\"username\",\"password\"|\"privateKey\",\"hostKeyFingerprint\",\"directory\",\"pathTemplate\"?}. 201 without the credential.");
        destinations.MapGet("/", async (ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            TypedResults.Ok(await service.ListAsync(users.Read(principal), ct)));
        destinations.MapGet("/{id:guid}", async Task<Results<Ok<DestinationInfo>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.GetAsync(users.Read(principal), id, ct) is { } info ? TypedResults.Ok(info) : NotFound(id));
        destinations.MapDelete("/{id:guid}", async Task<Results<NoContent, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.DeleteAsync(users.Read(principal), id, ct) ? TypedResults.NoContent() : NotFound(id));
        destinations.MapPost("/{id:guid}/test", async Task<Results<Ok<DestinationTestResult>, ProblemHttpResult>> (Guid id, ClaimsPrincipal principal, UserReader users, DestinationService service, CancellationToken ct) =>
            await service.TestAsync(users.Read(principal), id, ct) is { } result ? TypedResults.Ok(result) : NotFound(id))
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
        TypedResults.Problem(title: "Destination not found", detail: $"There is no destination {id} of yours.", statusCode: StatusCodes.Status404NotFound);

    /// <summary>The signed-in caller as the services scope it.</summary>
    public sealed class UserReader(IOptions<PortalAuthorizationOptions> authorization)
    {
        public ExportUser Read(ClaimsPrincipal principal) => ExportUser.FromPrincipal(principal, authorization.Value.AdminRole);
    }
}
