using System.Text.Json;
using DeviceApi.Simulator.Downloads;
using DeviceApi.Simulator.Formats;
using DeviceApi.Simulator.Jobs;
using Microsoft.Extensions.Options;

namespace DeviceApi.Simulator.Api;

/// <summary>Submit (<c>POST /v3/devices/status</c>) and status (<c>GET /v3/devices/status/{uuid}</c>).</summary>
internal sealed class V3Endpoints(string downloadsPath)
{
    public static async Task<IResult> SubmitAsync(
        HttpContext context, JobStore jobs, IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
    {
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["body"] = ["The body is not valid JSON."] });
        }

        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>();
        var request = SubmitRequest.Parse(body, now, errors);
        if (request is null)
        {
            return Problems.Validation(errors);
        }

        var faults = options.CurrentValue.Faults;
        var fate = Random.Shared.NextDouble() switch
        {
            var roll when roll < faults.NeverCompleteRate => JobFate.NeverCompletes,
            var roll when roll < faults.NeverCompleteRate + faults.LostRate => JobFate.IsLost,
            _ => JobFate.Completes,
        };
        var job = new ExportJob(Guid.NewGuid(), V3Gate.ClientId(context), request.From, request.To, request.Format, now, fate);
        jobs.Submit(job);
        if (faults.LostAcceptanceRate > 0 && Random.Shared.NextDouble() < faults.LostAcceptanceRate)
        {
            if (faults.LostAcceptanceAs == LostAcceptance.DroppedConnection)
            {
                context.Abort();
                return TypedResults.Empty;
            }
            return Problems.Of(StatusCodes.Status502BadGateway, "Bad Gateway", "The gateway got no answer from the service.");
        }
        context.Response.Headers.Location = $"{context.Request.PathBase}{context.Request.Path.Value!.TrimEnd('/')}/{job.Id:D}";
        return TypedResults.Json(new SubmitAnswer(job.Id, StatusName(JobStatus.Submitted)), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    public IResult Status(
        HttpContext context, string requestUuid, JobStore jobs, UrlSigner signer, IOptionsMonitor<SimulatorOptions> options, TimeProvider time)
    {
        var job = Guid.TryParse(requestUuid, out var id) ? jobs.Find(id, V3Gate.ClientId(context)) : null;
        if (job is null)
        {
            return Problems.Of(StatusCodes.Status404NotFound, "Not Found", "The request is unknown or its results were purged.");
        }

        var settings = options.CurrentValue;
        var state = job.State;
        var answer = new StatusAnswer(
            job.Id,
            StatusName(state.Status),
            job.Format.ApiName(),
            new TimeRange(Rfc3339.Format(job.From), Rfc3339.Format(job.To)),
            Rfc3339.Format(job.SubmittedAt),
            Rfc3339.Format(state.UpdatedAt));
        if (state is { Status: JobStatus.Completed, CompletedAt: { } completedAt, Files: { } files })
        {
            // Whole seconds, so every GET within one second hands out the same URLs.
            var expires = time.GetUtcNow().ToUnixTimeSeconds() + (long)settings.UrlLifetime.TotalSeconds;
            var (origin, basePath) = DownloadBase(context, settings);
            answer = answer with
            {
                CompletedAt = Rfc3339.Format(completedAt),
                RowCount = state.RowCount,
                DownloadUrls = [.. files.Select(file =>
                {
                    var path = $"{basePath}/{job.Id:D}/{file.Name}";
                    return origin + path + signer.SignedQuery(path, expires);
                })],
                UrlsExpireAt = Rfc3339.Format(DateTimeOffset.FromUnixTimeSeconds(expires)),
            };
        }
        else if (settings.Faults.InProgressRetryAfterSeconds > 0)
        {
            V3Gate.SetRetryAfter(context, settings.Faults.InProgressRetryAfterSeconds);
        }

        return TypedResults.Json(answer, ApiJson.Options);
    }

    private (string Origin, string BasePath) DownloadBase(HttpContext context, SimulatorOptions settings)
    {
        if (!string.IsNullOrEmpty(settings.DownloadBaseUrl))
        {
            var url = new Uri(settings.DownloadBaseUrl);
            return (url.GetLeftPart(UriPartial.Authority), url.AbsolutePath.TrimEnd('/'));
        }

        var request = context.Request;
        return ($"{request.Scheme}://{request.Host.ToUriComponent()}", request.PathBase.ToUriComponent() + downloadsPath);
    }

    public static string StatusName(JobStatus status) => status switch
    {
        JobStatus.Submitted => "Submitted",
        JobStatus.InProgress => "In Progress",
        JobStatus.Completed => "Completed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private sealed record SubmitAnswer(Guid RequestUuid, string Status);

    private sealed record TimeRange(string From, string To);

    private sealed record StatusAnswer(
        Guid RequestUuid,
        string Status,
        string Fileformat,
        TimeRange Timerange,
        string SubmittedAt,
        string UpdatedAt,
        string? CompletedAt = null,
        long? RowCount = null,
        IReadOnlyList<string>? DownloadUrls = null,
        string? UrlsExpireAt = null);
}
