using System.Globalization;
using System.Text.Json;
using DeviceStatus.Formats;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;
using static Portal.Api.ExportApiParameters;

namespace Portal.Api;

/// <summary>
/// <c>/api/v1/exports</c>: create, list, get, cancel, download and share, each a thin translation to the services the
/// pages use (<see cref="IExportSubmissions"/>, <see cref="IExportQueries"/>, <see cref="IExportCommands"/>,
/// <see cref="IExportShares"/>, the download endpoint), so the rules of <see cref="ResourceAccess"/>, the limits and the
/// audit entries are theirs.
/// </summary>
public static class ExportApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public const int MaxIdempotencyKeyLength = 200;

    public const int MaxPageSize = 100;

    public static RouteGroupBuilder MapExportApi(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var exports = api.MapGroup("/exports").WithTags("Exports");
        exports.MapPost("", CreateAsync)
            .WithName("CreateExport")
            .WithSummary("Request an export")
            .WithDescription("The vendor's body: {\"timerange\":{\"from\":\"2026-11-27T00:00:00Z\",\"to\":\"2026-11-28T00:00:00Z\"},\"fileformat\":\"PARQUET\"}, " +
                "with an optional \"name\" (at most 100 characters; without it the export is named from its format and range in UTC) and an optional " +
                "\"team\" (the name of a team you are a member of: the export is the team's, which its members read). " +
                "With an Idempotency-Key header, a retry of the same create answers 200 with the export stored the first time; the same key with " +
                "another body is 422. Without one, every call is a new export. 429 (with Retry-After) past Exports:MaxSubmissionsPerMinute, " +
                "and 429 (with Retry-After until the next UTC midnight) once the daily allowance (Exports:DailyAllowancePerUser) is used up; " +
                "every answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset for the daily allowance.")
            .Accepts<CreateExportBody>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        exports.MapGet("", ListAsync)
            .WithName("ListExports")
            .WithSummary("List exports, newest first, a page at a time")
            .WithDescription("Your exports and your teams' exports; shared=true: only those shared with you. " +
                "Filters as in the grid: team (a team's name), status, fileformat, created_from, created_to (RFC 3339), search (name, format or request id); sort (created_at, updated_at, status, " +
                "fileformat, range_from, owner) and order (asc, desc); page (from 1) and page_size (1-100). Admins: all_users=true or owner_id.")
            .ProducesValidationProblem();
        exports.MapGet("/{id:guid}", GetAsync)
            .WithName("GetExport")
            .WithSummary("One export: status, files and timeline")
            .ProducesProblem(StatusCodes.Status404NotFound);
        exports.MapPost("/{id:guid}/cancel", CancelAsync)
            .WithName("CancelExport")
            .WithSummary("Stop tracking an open export")
            .WithDescription("An admin cancelling another user's export may give a reason (JSON body {\"reason\": \"...\"}, one line, at most 200 characters); the owner is told who cancelled it and why.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        exports.MapGet("/{id:guid}/shares", ListSharesAsync)
            .WithName("ListExportShares")
            .WithSummary("The colleagues an export is shared with")
            .WithDescription("For the export's owner, its team's maintainers and admins; anyone else gets 404.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        exports.MapPost("/{id:guid}/shares", ShareAsync)
            .WithName("ShareExport")
            .WithSummary("Share an export, read-only, with colleagues")
            .WithDescription("Body {\"users\": [\"<user id or email>\", ...]}: colleagues who have signed in to the portal at least once. " +
                "They read, preview and download it and find it with shared=true. Sharing with someone again changes nothing; an unknown user " +
                "or the export's owner is 400 and nothing is shared. For the export's owner, its team's maintainers and admins; anyone else gets 404.")
            .Accepts<ShareExportBody>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        exports.MapDelete("/{id:guid}/shares/{user}", UnshareAsync)
            .WithName("UnshareExport")
            .WithSummary("Take back the share of an export with a colleague")
            .WithDescription("{user} is the colleague's user id or email. Their access ends with their next request, and their open pages and " +
                "hub connections hear it. 204 also when it was not shared with them.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound);
        exports.MapGet("/{id:guid}/files/{part:int}", DownloadEndpoints.DownloadAsync)
            .WithName("DownloadExportFileFromApi")
            .WithSummary("A result file")
            .WithDescription("A redirect (302) to a fresh pre-signed link, or the file itself, as Downloads:Mode says; follow redirects (curl -L).")
            .WithSecurityHeadersPolicy(SecurityHeaders.DownloadPolicy)
            .Produces(StatusCodes.Status302Found)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<Results<Created<ExportResource>, Ok<ExportResource>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext context,
        [FromServices] IExportSubmissions submissions,
        [FromServices] IExportAllowances allowances,
        [FromServices] ExportDeliveries deliveries,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        var key = context.Request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length > MaxIdempotencyKeyLength || key.Any(char.IsControl))
        {
            return ApiProblems.Invalid(new Dictionary<string, string[]>
            {
                [IdempotencyKeyHeader] = [$"Use at most {MaxIdempotencyKeyLength} printable characters, e.g. a UUID."],
            });
        }
        if (!context.Request.HasJsonContentType())
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the body as JSON with 'Content-Type: application/json'.");
        }
        CreateExportBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<CreateExportBody>(context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid request",
                "The body is not JSON of the form {\"timerange\":{\"from\":\"2026-11-27T00:00:00Z\",\"to\":\"2026-11-28T00:00:00Z\"},\"fileformat\":\"CSV\"}.");
        }

        var errors = new Dictionary<string, string[]>();
        var from = ParseInstant(body?.Timerange?.From, "timerange.from", errors);
        var to = ParseInstant(body?.Timerange?.To, "timerange.to", errors);
        if (body?.Timerange is null)
        {
            errors.Clear();
            errors["timerange"] = ["Give the time range: {\"from\": ..., \"to\": ...} in RFC 3339."];
        }
        var format = FileFormat.Csv;
        if (body?.Fileformat is { } name && !FileFormats.TryParseApiName(name, out format))
        {
            errors["fileformat"] = [$"'{name}' is not a file format; use one of {FileFormatNames}."];
        }
        if (ExportNames.Problem(body?.Name) is { } nameProblem)
        {
            errors["name"] = [nameProblem];
        }
        var destinations = DestinationIds.Parse(body?.Destinations, errors);
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(errors);
        }

        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        var outcome = await submissions.SubmitWithKeyAsync(user, new TimeRange(from!.Value, to!.Value), format, key.Length > 0 ? key : null,
            body?.Name, destinations, body?.Team, context.RequestAborted);
        var links = new ApiLinks(context.Request);
        if (outcome is not SubmitOutcome.AllowanceUsedUp)
        {
            AllowanceHeaders.Write(context.Response, await allowances.GetAsync(user.Id, context.RequestAborted), now: null);
        }
        switch (outcome)
        {
            case SubmitOutcome.Accepted { Repeated: true } repeat:
                return TypedResults.Ok(ToResource(repeat.Export, links, await deliveries.ListAsync(user, repeat.Export.Id, context.RequestAborted)));
            case SubmitOutcome.Accepted accepted:
                return TypedResults.Created(links.Export(accepted.Export.Id),
                    ToResource(accepted.Export, links, await deliveries.ListAsync(user, accepted.Export.Id, context.RequestAborted)));
            case SubmitOutcome.Invalid invalid:
                return ApiProblems.Invalid(invalid.Errors.ToDictionary());
            case SubmitOutcome.Throttled throttled:
                var seconds = (int)Math.Ceiling(throttled.RetryAfter.TotalSeconds);
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return ApiProblems.Problem(StatusCodes.Status429TooManyRequests, "Too many exports",
                    $"You have requested the most exports allowed per minute; try again in {seconds} s.");
            case SubmitOutcome.AllowanceUsedUp usedUp:
                AllowanceHeaders.Write(context.Response, usedUp.Allowance, now: null);
                return ApiProblems.Problem(StatusCodes.Status429TooManyRequests, "Daily allowance used up", usedUp.Allowance.Message);
            case SubmitOutcome.KeyReused reused:
                return ApiProblems.Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency key reused",
                    $"The {IdempotencyKeyHeader} '{key}' was used for export {reused.Existing.Id} with another time range, file format, name or team. " +
                    "Use a new key for a different export.");
            default:
                throw new InvalidOperationException($"Unexpected submission outcome {outcome}.");
        }
    }

    private static async Task<Results<Ok<ExportPage>, ValidationProblem>> ListAsync(
        HttpContext context,
        [FromServices] IExportQueries queries,
        [FromServices] ExportDeliveries deliveries,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization,
        [FromQuery] string? status,
        [FromQuery] string? fileformat,
        [FromQuery(Name = "created_from")] string? createdFrom,
        [FromQuery(Name = "created_to")] string? createdTo,
        [FromQuery] string? search,
        [FromQuery] string? sort,
        [FromQuery] string? order,
        [FromQuery] string? page,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "all_users")] string? allUsers,
        [FromQuery(Name = "owner_id")] string? ownerId,
        [FromQuery] string? team,
        [FromQuery] string? shared)
    {
        var errors = new Dictionary<string, string[]>();
        var query = new ExportQuery
        {
            Status = status is null ? null : ParseStatus(status, errors),
            Format = fileformat is null ? null : ParseFormat(fileformat, errors),
            CreatedFrom = createdFrom is null ? null : ParseInstant(createdFrom, "created_from", errors),
            CreatedTo = createdTo is null ? null : ParseInstant(createdTo, "created_to", errors),
            Search = search,
            SortBy = ParseSort(sort, errors),
            Descending = order is null || order.Equals("desc", StringComparison.OrdinalIgnoreCase) || !Check(order.Equals("asc", StringComparison.OrdinalIgnoreCase),
                "order", "Use asc or desc.", errors),
            Page = ParseInt(page, "page", 1, int.MaxValue, 1, errors) - 1,
            PageSize = ParseInt(pageSize, "page_size", 1, MaxPageSize, 25, errors),
            AllUsers = allUsers is not null && (allUsers.Equals("true", StringComparison.OrdinalIgnoreCase) || !Check(allUsers.Equals("false", StringComparison.OrdinalIgnoreCase),
                "all_users", "Use true or false.", errors)),
            OwnerId = string.IsNullOrWhiteSpace(ownerId) ? null : ownerId,
            Team = string.IsNullOrWhiteSpace(team) ? null : team.Trim(),
            SharedWithMe = shared is not null && (shared.Equals("true", StringComparison.OrdinalIgnoreCase) || !Check(shared.Equals("false", StringComparison.OrdinalIgnoreCase),
                "shared", "Use true (only the exports shared with you) or false.", errors)),
        };
        if (errors.Count > 0)
        {
            return ApiProblems.Invalid(errors);
        }

        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        var result = await queries.ListAsync(user, query, context.RequestAborted);
        var links = new ApiLinks(context.Request);
        var pageNumber = query.Page + 1;
        var hasNext = (long)pageNumber * query.PageSize < result.TotalCount;
        // The page's exports are the user's to see already.
        var delivered = await deliveries.ListManyAsync([.. result.Items.Select(e => e.Id)], context.RequestAborted);
        return TypedResults.Ok(new ExportPage(
            [.. result.Items.Select(e => ToResource(e, links, delivered.GetValueOrDefault(e.Id)))],
            result.TotalCount,
            result.TotalIsLowerBound,
            pageNumber,
            query.PageSize,
            new PageLinks(hasNext ? links.WithPage(context.Request, pageNumber + 1) : null, pageNumber > 1 ? links.WithPage(context.Request, pageNumber - 1) : null)));
    }

    private static async Task<Results<Ok<ExportDetailsResource>, ProblemHttpResult>> GetAsync(
        Guid id,
        HttpContext context,
        [FromServices] IExportQueries queries,
        [FromServices] ExportDeliveries deliveries,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        var details = await queries.GetAsync(user, id, context.RequestAborted);
        return details is null
            ? ApiProblems.NotFound(id)
            : TypedResults.Ok(ToResource(details, new ApiLinks(context.Request), await deliveries.ListAsync(user, id, context.RequestAborted)));
    }

    private static async Task<Results<Ok<ExportResource>, ValidationProblem, ProblemHttpResult>> CancelAsync(
        Guid id,
        CancelExportBody? body,
        HttpContext context,
        [FromServices] IExportCommands commands,
        [FromServices] IExportQueries queries,
        [FromServices] ExportDeliveries deliveries,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        if (CancelReason.Problem(body?.Reason) is { } problem)
        {
            return ApiProblems.Invalid(new Dictionary<string, string[]> { ["reason"] = [problem] });
        }
        var cancelled = await commands.CancelAsync(user, id, body?.Reason, context.RequestAborted);
        var details = await queries.GetAsync(user, id, context.RequestAborted);
        if (details is null)
        {
            return ApiProblems.NotFound(id);
        }
        if (!details.CanCancel)
        {
            return ApiProblems.Problem(StatusCodes.Status403Forbidden, "Read-only",
                $"You may read export {id} but not cancel it: only its owner, its team's maintainers and admins may.");
        }
        if (!cancelled)
        {
            return ApiProblems.Problem(StatusCodes.Status409Conflict, "Not open",
                $"Export {id} has already ended ({StatusName(details.Summary.Status)}); only an open export can be cancelled.");
        }
        return TypedResults.Ok(ToResource(details.Summary, new ApiLinks(context.Request), await deliveries.ListAsync(user, id, context.RequestAborted)));
    }

    private static async Task<Results<Ok<ShareList>, ProblemHttpResult>> ListSharesAsync(
        Guid id,
        HttpContext context,
        [FromServices] IExportShares shares,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        return await shares.ListAsync(user, id, context.RequestAborted) is { } list
            ? TypedResults.Ok(new ShareList(ShareResource.From(list)))
            : ApiProblems.NotFound(id);
    }

    private static async Task<Results<Ok<ShareList>, ValidationProblem, ProblemHttpResult>> ShareAsync(
        Guid id,
        HttpContext context,
        [FromServices] IExportShares shares,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        if (!context.Request.HasJsonContentType())
        {
            return ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "Send the body as JSON with 'Content-Type: application/json'.");
        }
        ShareExportBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<ShareExportBody>(context.RequestAborted);
        }
        catch (JsonException)
        {
            return ApiProblems.Problem(StatusCodes.Status400BadRequest, "Invalid request",
                "The body is not JSON of the form {\"users\": [\"<user id or email>\", ...]}.");
        }
        if (body?.Users is not { Count: > 0 } users)
        {
            return ApiProblems.Invalid(new Dictionary<string, string[]>
            {
                [ExportShares.Field] = ["Name at least one colleague: {\"users\": [\"<user id or email>\", ...]}."],
            });
        }
        var user = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        return await shares.ShareAsync(user, id, [.. users.Select(u => u ?? "")], context.RequestAborted) switch
        {
            ShareOutcome.Done done => TypedResults.Ok(new ShareList(ShareResource.From(done.Shares))),
            ShareOutcome.Invalid invalid => ApiProblems.Invalid(invalid.Errors.ToDictionary()),
            _ => ApiProblems.NotFound(id),
        };
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UnshareAsync(
        Guid id,
        string user,
        HttpContext context,
        [FromServices] IExportShares shares,
        [FromServices] IOptions<PortalAuthorizationOptions> authorization)
    {
        var caller = ExportUser.FromPrincipal(context.User, authorization.Value.AdminRole);
        return await shares.UnshareAsync(caller, id, user, context.RequestAborted)
            ? TypedResults.NoContent()
            : ApiProblems.NotFound(id);
    }

    /// <summary>The files under the names the portal hands out (<see cref="ResultFileNames.ForAll"/>), never the vendor's raw ones.</summary>
    private static List<ExportFileResource> FilesOf(ExportDetails details, ApiLinks links)
    {
        var names = ResultFileNames.ForAll(details.Summary.Format, details.Summary.Range, details.Files.Select(f => (f.Part, (string?)f.Name)));
        return [.. details.Files.Select(f => new ExportFileResource(f.Part, names[f.Part], f.RowCount, links.File(details.Summary.Id, f.Part)))];
    }

    /// <summary>The vendor's word where there is one (<c>In Progress</c>), else the portal's status name.</summary>
    public static string StatusName(ExportStatus status) => status == ExportStatus.InProgress ? "In Progress" : status.ToString();

    private static ExportResource ToResource(ExportSummary e, ApiLinks links, IReadOnlyList<DeliveryInfo>? deliveries) => new(
        e.Id,
        e.Name,
        StatusName(e.Status),
        e.Format.ApiName(),
        new TimeRangeBody(Rfc3339.Format(e.Range.From), Rfc3339.Format(e.Range.To)),
        e.OwnerId,
        e.OwnerName,
        e.Team,
        Rfc3339.Format(e.CreatedAt),
        Rfc3339.Format(e.UpdatedAt),
        e.CompletedAt is { } completed ? Rfc3339.Format(completed) : null,
        e.RowCount,
        e.FileCount,
        e.LastError,
        links.For(e.Id),
        DeliveryResource.From(deliveries));

    private static ExportDetailsResource ToResource(ExportDetails d, ApiLinks links, IReadOnlyList<DeliveryInfo> deliveries)
    {
        var e = d.Summary;
        return new(
            e.Id,
            e.Name,
            StatusName(e.Status),
            e.Format.ApiName(),
            new TimeRangeBody(Rfc3339.Format(e.Range.From), Rfc3339.Format(e.Range.To)),
            e.OwnerId,
            e.OwnerName,
            e.Team,
            Rfc3339.Format(e.CreatedAt),
            Rfc3339.Format(e.UpdatedAt),
            e.CompletedAt is { } completed ? Rfc3339.Format(completed) : null,
            e.RowCount,
            e.LastError,
            d.RequestUuid,
            // Files are offered only while they can be downloaded.
            e.Status == ExportStatus.Completed ? FilesOf(d, links) : [],
            [.. d.Timeline.Select(t => new TimelineEntryResource(Rfc3339.Format(t.At), t.From is { } from ? StatusName(from) : null, StatusName(t.To), t.Actor, t.Detail))],
            links.For(e.Id),
            DeliveryResource.From(deliveries),
            ShareResource.From(d.Shares));
    }
}

/// <summary>The optional body of a cancel: why, for the owner when an admin cancels their export.</summary>
public sealed record CancelExportBody(string? Reason);
