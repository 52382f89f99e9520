namespace DeviceApi.Simulator.Api;

/// <summary>RFC 9457 problem answers, with the contract's <c>type</c>, <c>title</c>, <c>status</c> and <c>detail</c>.</summary>
internal static class Problems
{
    public static IResult Of(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: TypeOf(status));

    public static IResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: "The request has invalid fields; see errors.",
            title: "One or more validation errors occurred.",
            type: TypeOf(StatusCodes.Status400BadRequest));

    private static string TypeOf(int status) => status switch
    {
        400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        401 => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
        403 => "https://tools.ietf.org/html/rfc9110#section-15.5.4",
        404 => "https://tools.ietf.org/html/rfc9110#section-15.5.5",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        503 => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
        _ => "about:blank",
    };
}
