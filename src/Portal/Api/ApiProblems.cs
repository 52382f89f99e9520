using Microsoft.AspNetCore.Http.HttpResults;

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
        if (result is null or EmptyHttpResult && !response.HasStarted && response.StatusCode >= 400)
        {
            return Problem(response.StatusCode, ReasonPhrase(response.StatusCode), response.StatusCode == 404
                ? "There is no such export or file that you may see."
                : "The request could not be answered.");
        }
        return result;
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}
