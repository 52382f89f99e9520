using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;

namespace Portal.Schedules;

/// <summary>
/// <c>/api/v1/schedules</c> for scripts: list (<c>?team=</c>), get, create, update, pause, resume, delete. Scoped like the
/// pages by <see cref="ResourceAccess"/>: a schedule the caller may not read is 404, a change by a member of its team who
/// is not one of its maintainers is 403; errors are <c>application/problem+json</c>.
/// </summary>
public static class ScheduleApi
{
    /// <summary>Maps <c>/schedules</c> on <paramref name="api"/>, the API's route group.</summary>
    public static IEndpointRouteBuilder MapScheduleApi(this IEndpointRouteBuilder api)
    {
        var schedules = api.MapGroup("/schedules").WithTags("Schedules");
        schedules.MapGet("", ListAsync);
        schedules.MapGet("/{id:guid}", GetAsync);
        schedules.MapPost("", CreateAsync);
        schedules.MapPut("/{id:guid}", UpdateAsync);
        schedules.MapPost("/{id:guid}/pause", PauseAsync);
        schedules.MapPost("/{id:guid}/resume", ResumeAsync);
        schedules.MapDelete("/{id:guid}", DeleteAsync);
        return api;
    }

    private static async Task<Ok<IEnumerable<ScheduleResponse>>> ListAsync(string? team, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken)
    {
        var list = await schedules.ListAsync(User(http), string.IsNullOrWhiteSpace(team) ? null : team.Trim(), cancellationToken);
        return TypedResults.Ok(list.Select(s => ScheduleResponse.From(s, null)));
    }

    private static async Task<Results<Ok<ScheduleResponse>, ProblemHttpResult>> GetAsync(Guid id, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken)
    {
        var details = await schedules.GetAsync(User(http), id, cancellationToken);
        return details is null ? NotFound(id) : TypedResults.Ok(ScheduleResponse.From(details.Summary, details));
    }

    private static async Task<Results<Created<ScheduleResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ScheduleRequest? body, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken)
    {
        if (ScheduleRequest.ToInput(body, out var errors) is not { } input)
        {
            return TypedResults.ValidationProblem(errors, title: "The schedule is not valid.");
        }
        return await schedules.CreateAsync(User(http), input, cancellationToken) switch
        {
            ScheduleOutcome.Saved saved => TypedResults.Created($"/api/v1/schedules/{saved.Schedule.Id}", ScheduleResponse.From(saved.Schedule, null)),
            ScheduleOutcome.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The schedule is not valid."),
            _ => Unexpected(),
        };
    }

    private static async Task<Results<Ok<ScheduleResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        Guid id, ScheduleRequest? body, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken)
    {
        if (ScheduleRequest.ToInput(body, out var errors) is not { } input)
        {
            return TypedResults.ValidationProblem(errors, title: "The schedule is not valid.");
        }
        return Answer(id, await schedules.UpdateAsync(User(http), id, input, cancellationToken));
    }

    private static async Task<Results<Ok<ScheduleResponse>, ValidationProblem, ProblemHttpResult>> PauseAsync(Guid id, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken) =>
        Answer(id, await schedules.PauseAsync(User(http), id, cancellationToken));

    private static async Task<Results<Ok<ScheduleResponse>, ValidationProblem, ProblemHttpResult>> ResumeAsync(Guid id, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken) =>
        Answer(id, await schedules.ResumeAsync(User(http), id, cancellationToken));

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, HttpContext http, IScheduleService schedules, CancellationToken cancellationToken) =>
        await schedules.DeleteAsync(User(http), id, cancellationToken) switch
        {
            ScheduleOutcome.Deleted => TypedResults.NoContent(),
            ScheduleOutcome.Forbidden => Forbidden(),
            _ => NotFound(id),
        };

    private static Results<Ok<ScheduleResponse>, ValidationProblem, ProblemHttpResult> Answer(Guid id, ScheduleOutcome outcome) => outcome switch
    {
        ScheduleOutcome.Saved saved => TypedResults.Ok(ScheduleResponse.From(saved.Schedule, null)),
        ScheduleOutcome.Invalid invalid => TypedResults.ValidationProblem(invalid.Errors, title: "The schedule is not valid."),
        ScheduleOutcome.NotFound => NotFound(id),
        ScheduleOutcome.Forbidden => Forbidden(),
        ScheduleOutcome.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The schedule changed meanwhile.",
            detail: "Someone else or the scheduler changed it while you did. Read it again and retry."),
        _ => Unexpected(),
    };

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Schedule not found.", detail: $"There is no schedule {id} that you can see.");

    /// <summary>A member of the schedule's team who is not one of its maintainers.</summary>
    private static ProblemHttpResult Forbidden() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Only the team's maintainers can change this.",
            detail: "You are a member of the schedule's team: you read it, its maintainers change it.");

    private static ProblemHttpResult Unexpected() => TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Unexpected outcome.");

    private static ExportUser User(HttpContext http) =>
        ExportUser.FromPrincipal(http.User, http.RequestServices.GetRequiredService<IOptions<PortalAuthorizationOptions>>().Value.AdminRole);
}

/// <summary>
/// A schedule as scripts send it. <c>format</c>: CSV, PARQUET, JSON, ORC, AVRO, TEXTFILE; <c>range</c>: previous-day,
/// previous-7-days, previous-month, last-hours (with <c>hours</c>); <c>recurrence</c>: daily, weekly (with <c>days</c>,
/// e.g. ["mon","fri"]), monthly (with <c>dayOfMonth</c>), cron (with <c>cron</c>); <c>time</c>: HH:mm; <c>timeZone</c>: IANA id;
/// <c>team</c>: the team it belongs to (null: the caller's own; on an update, null keeps its team).
/// </summary>
public sealed record ScheduleRequest(
    string? Name,
    string? Format,
    string? Range,
    int? Hours,
    string? Recurrence,
    string? Time,
    IReadOnlyList<string>? Days,
    int? DayOfMonth,
    string? Cron,
    string? TimeZone,
    IReadOnlyList<string>? Destinations = null,
    string? Team = null)
{
    public static readonly IReadOnlyDictionary<string, ScheduleRangeKind> RangeNames = new Dictionary<string, ScheduleRangeKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["previous-day"] = ScheduleRangeKind.PreviousDay,
        ["previous-7-days"] = ScheduleRangeKind.Previous7Days,
        ["previous-month"] = ScheduleRangeKind.PreviousMonth,
        ["last-hours"] = ScheduleRangeKind.LastHours,
    };

    public static string RangeName(ScheduleRangeKind kind) => RangeNames.First(p => p.Value == kind).Key;

    /// <summary>The input, or null with <paramref name="errors"/> naming each field to fix.</summary>
    public static ScheduleInput? ToInput(ScheduleRequest? body, out Dictionary<string, string[]> errors)
    {
        errors = [];
        if (body is null)
        {
            errors[""] = ["Send the schedule as a JSON object."];
            return null;
        }
        var input = new ScheduleInput
        {
            Name = body.Name ?? "", RangeHours = body.Hours, Cron = body.Cron, TimeZoneId = body.TimeZone ?? "",
            Team = string.IsNullOrWhiteSpace(body.Team) ? null : body.Team.Trim(),
        };
        if (!FileFormats.TryParseApiName(body.Format ?? "CSV", out var format))
        {
            errors["format"] = [$"Unknown format '{body.Format}': use one of {string.Join(", ", FileFormats.All.Select(f => f.ApiName()))}."];
        }
        if (!RangeNames.TryGetValue(body.Range ?? "previous-day", out var range))
        {
            errors["range"] = [$"Unknown range '{body.Range}': use one of {string.Join(", ", RangeNames.Keys)}."];
        }
        if (!Enum.TryParse<RecurrenceKind>(body.Recurrence ?? "daily", ignoreCase: true, out var recurrence) || !Enum.IsDefined(recurrence))
        {
            errors["recurrence"] = [$"Unknown recurrence '{body.Recurrence}': use daily, weekly, monthly or cron."];
        }
        var time = new TimeOnly(6, 0);
        if (body.Time is not null && !TimeOnly.TryParseExact(body.Time, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time))
        {
            errors["time"] = [$"Not a time of day: '{body.Time}'. Use HH:mm, e.g. 06:30."];
        }
        var days = new List<DayOfWeek>();
        foreach (var day in body.Days ?? [])
        {
            var matches = Enum.GetValues<DayOfWeek>().Where(d => day.Length >= 3 && d.ToString().StartsWith(day, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count == 1)
            {
                days.Add(matches[0]);
            }
            else
            {
                errors["days"] = [$"Unknown day '{day}': use mon, tue, wed, thu, fri, sat, sun."];
            }
        }
        var destinations = DestinationIds.Parse(body.Destinations, errors);
        if (errors.Count > 0)
        {
            return null;
        }
        return input with
        {
            Destinations = destinations,
            Format = format,
            RangeKind = range,
            Recurrence = recurrence,
            Time = time,
            Days = days,
            DayOfMonth = body.DayOfMonth ?? 1,
        };
    }
}

/// <summary>
/// A schedule as the API answers; <c>runs</c> and <c>history</c> only when one schedule is read. <c>team</c>: the team it
/// belongs to (null: its owner's alone); <c>createdBy</c>: the name of who set it up.
/// </summary>
public sealed record ScheduleResponse(
    Guid Id,
    string Name,
    string OwnerId,
    string OwnerName,
    string Format,
    string Range,
    int? Hours,
    string Recurrence,
    string Cron,
    string TimeZone,
    string Description,
    bool Paused,
    DateTimeOffset? PausedAt,
    string? PauseReason,
    int ConsecutiveFailures,
    DateTimeOffset? NextRunAt,
    DateTimeOffset? LastRunAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IEnumerable<ScheduleRunResponse>? Runs,
    IEnumerable<ScheduleHistoryInfo>? History,
    IReadOnlyList<Guid> Destinations,
    string? Team,
    string CreatedBy)
{
    public static ScheduleResponse From(ScheduleSummary s, ScheduleDetails? details)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new ScheduleResponse(s.Id, s.Name, s.OwnerId, s.OwnerName, s.Format.ApiName(), ScheduleRequest.RangeName(s.RangeKind), s.RangeHours,
            s.Recurrence.ToString().ToLowerInvariant(), s.Cron, s.TimeZoneId, $"{s.RecurrenceText}, {s.RangeText}",
            s.IsPaused, s.PausedAt, s.PauseReason, s.ConsecutiveFailures, s.NextRunAt, s.LastRunAt, s.CreatedAt, s.UpdatedAt,
            details?.Runs.Select(r => new ScheduleRunResponse(r.OccurrenceAt, r.ExportId, r.Status?.DisplayName(), r.Outcome?.ToString(), r.Error)),
            details?.History, s.Destinations, s.Team, s.OwnerName);
    }
}

public sealed record ScheduleRunResponse(DateTimeOffset OccurrenceAt, Guid? ExportId, string? Status, string? Outcome, string? Error);
