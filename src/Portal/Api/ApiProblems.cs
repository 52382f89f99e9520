using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Portal.Data;

namespace Portal.Api;

/// <summary>The API's errors, all <c>application/problem+json</c> (RFC 9457).</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors, string detail = "The request has invalid fields; 'errors' says what to fix.") =>
        TypedResults.ValidationProblem(errors, detail, title: "Invalid request");

    public static ProblemHttpResult NotFound(Guid id) =>
        Problem(StatusCodes.Status404NotFound, "Not found", $"There is no export {id} that you may see.");

    /// <summary>For places that write the response themselves (authentication handlers); a response already started is left alone.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = status;
        await Problem(status, title, detail).ExecuteAsync(context);
    }

    /// <summary>
    /// Gives an error answered without a body (the shared download handler's 404, a 405) a problem body, so scripts
    /// read every error the same way and the pages' "not found" page is never re-executed for the API.
    /// </summary>
    public static async ValueTask<object?> WithProblemBody(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var response = context.HttpContext.Response;
        // A body of its own announced (a proxied file host's 416 with Content-Length: 0) is not replaced.
        if (result is null or EmptyHttpResult && !response.HasStarted && response.StatusCode >= 400 && response.ContentLength is null)
        {
            return Problem(response.StatusCode, ReasonPhrase(response.StatusCode), response.StatusCode == 404
                ? "There is no such export or file that you may see."
                : "The request could not be answered.");
        }
        return result;
    }

    /// <summary>
    /// Problem bodies for the API's errors that no endpoint writes: a body that is not JSON or not of the expected form
    /// (400 from binding), a wrong <c>Content-Type</c> (415) and a method the route does not have (405). Routing answers
    /// the last two with endpoints of its own, outside the API's group; they are given the API's policy here, so a
    /// caller with a valid token hears what is wrong with the request, not "unauthorized". Runs after routing and
    /// before authorization.
    /// </summary>
    public static WebApplication UseApiProblems(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(ApiExtensions.RoutePrefix, StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }
            if (context.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<IAuthorizeData>() is null
                && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null && endpoint.RequestDelegate is { } answer)
            {
                context.SetEndpoint(new Endpoint(
                    async routed =>
                    {
                        await answer(routed);
                        await WriteBindingProblemAsync(routed);
                    },
                    new EndpointMetadataCollection(new AuthorizeAttribute(ApiExtensions.ApiPolicy), new SkipStatusCodePagesAttribute()),
                    endpoint.DisplayName));
            }
            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && DatabaseErrors.Classify(ex) is { } trouble)
            {
                // The database is away: nothing was stored (every write is one transaction), and the caller may try again.
                context.RequestServices.GetRequiredService<DatabaseOutage>().Failed(ex, "the API");
                context.Response.Clear();
                context.Response.Headers.RetryAfter = DatabaseRetrySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problem(StatusCodes.Status503ServiceUnavailable, "Database unavailable", trouble switch
                {
                    DatabaseTrouble.Full => "The portal's database is full and cannot store anything right now; nothing was stored. Try again later.",
                    DatabaseTrouble.Busy => "The portal's database is busy right now; nothing was stored. Try again after the number of seconds in Retry-After.",
                    _ => "The portal cannot reach its database right now; nothing was stored. Try again after the number of seconds in Retry-After.",
                }).ExecuteAsync(context);
                return;
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                // Development throws binding failures (RouteHandlerOptions.ThrowOnBadRequest); elsewhere they are bare statuses.
                context.Response.Clear();
                context.Response.StatusCode = ex.StatusCode;
            }
            await WriteBindingProblemAsync(context);
        });
        return app;
    }

    /// <summary>The <c>Retry-After</c> of a 503 while the database is away.</summary>
    public const int DatabaseRetrySeconds = 5;

    private static async Task WriteBindingProblemAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted || response.ContentLength is not null || !string.IsNullOrEmpty(response.ContentType))
        {
            return;
        }
        var (title, detail) = response.StatusCode switch
        {
            StatusCodes.Status400BadRequest => ("Invalid request", "The body is not JSON of the form this endpoint takes; see /api/docs for its fields."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed", $"This address does not take {context.Request.Method}; see /api/docs for its methods."),
            StatusCodes.Status415UnsupportedMediaType => ("Unsupported media type", "Send the body as JSON with 'Content-Type: application/json'."),
            _ => ((string?)null, (string?)null),
        };
        if (title is not null)
        {
            await Problem(response.StatusCode, title, detail!).ExecuteAsync(context);
        }
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
