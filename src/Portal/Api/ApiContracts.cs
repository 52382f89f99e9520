using System.Text.Json.Serialization;
using DeviceStatus.Formats;

namespace Portal.Api;

// The API's JSON, snake_case like the vendor's: a script written for the vendor's POST carries over.

/// <summary>
/// A create: the vendor's body. <c>fileformat</c> defaults to CSV, as upstream. <c>name</c> is the portal's own and
/// optional (at most 100 characters, no control characters); without it the export is named from its format and its
/// range in UTC, e.g. <c>CSV · 5 Dec 10:00–11:00 UTC</c>. <c>team</c> (a team's name the caller is a member of) makes
/// it the team's export; without it, the caller's own.
/// </summary>
public sealed record CreateExportBody(
    [property: JsonPropertyName("timerange")] TimeRangeBody? Timerange,
    [property: JsonPropertyName("fileformat")] string? Fileformat,
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("destinations")] IReadOnlyList<string>? Destinations = null,
    [property: JsonPropertyName("team")] string? Team = null);

/// <summary>RFC 3339 instants, any offset; the range is half-open, <c>[from, to)</c>.</summary>
public sealed record TimeRangeBody(
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To);

/// <summary>Addresses to follow from an export, absolute.</summary>
public sealed record ExportLinks(
    [property: JsonPropertyName("self")] string Self,
    [property: JsonPropertyName("cancel")] string Cancel,
    [property: JsonPropertyName("page")] string Page);

/// <summary>
/// One export. <c>status</c> is the vendor's word where there is one (<c>Submitted</c>, <c>In Progress</c>,
/// <c>Completed</c>) or the portal's (<c>Queued</c>, <c>Unconfirmed</c>, <c>Failed</c>, <c>TimedOut</c>,
/// <c>Cancelled</c>, <c>Expired</c>).
/// </summary>
public sealed record ExportResource(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("fileformat")] string FileFormat,
    [property: JsonPropertyName("timerange")] TimeRangeBody TimeRange,
    [property: JsonPropertyName("owner_id")] string OwnerId,
    [property: JsonPropertyName("owner_name")] string OwnerName,
    [property: JsonPropertyName("team")] string? Team,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string UpdatedAt,
    [property: JsonPropertyName("completed_at")] string? CompletedAt,
    [property: JsonPropertyName("row_count")] long? RowCount,
    [property: JsonPropertyName("file_count")] int FileCount,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("links")] ExportLinks Links,
    [property: JsonPropertyName("deliveries")] IReadOnlyList<DeliveryResource> Deliveries);

/// <summary>One export with its files and timeline; <c>shares</c> only for a caller who may share it, else empty.</summary>
public sealed record ExportDetailsResource(
    [property: JsonPropertyName("id")] Guid Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("fileformat")] string FileFormat,
    [property: JsonPropertyName("timerange")] TimeRangeBody TimeRange,
    [property: JsonPropertyName("owner_id")] string OwnerId,
    [property: JsonPropertyName("owner_name")] string OwnerName,
    [property: JsonPropertyName("team")] string? Team,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("updated_at")] string UpdatedAt,
    [property: JsonPropertyName("completed_at")] string? CompletedAt,
    [property: JsonPropertyName("row_count")] long? RowCount,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("request_uuid")] string? RequestUuid,
    [property: JsonPropertyName("files")] IReadOnlyList<ExportFileResource> Files,
    [property: JsonPropertyName("timeline")] IReadOnlyList<TimelineEntryResource> Timeline,
    [property: JsonPropertyName("links")] ExportLinks Links,
    [property: JsonPropertyName("deliveries")] IReadOnlyList<DeliveryResource> Deliveries,
    [property: JsonPropertyName("shares")] IReadOnlyList<ShareResource> Shares);

/// <summary>A share: <c>{ "users": ["<user id or email>", ...] }</c>, colleagues who have signed in to the portal.</summary>
public sealed record ShareExportBody([property: JsonPropertyName("users")] IReadOnlyList<string?>? Users);

/// <summary>A colleague an export is shared with, read-only: user id, name, email, who shared it (user id) and when.</summary>
public sealed record ShareResource(
    [property: JsonPropertyName("user")] string User,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("sharedBy")] string SharedBy,
    [property: JsonPropertyName("sharedAt")] string SharedAt)
{
    public static IReadOnlyList<ShareResource> From(IReadOnlyList<Portal.Exports.ExportShareInfo> shares) =>
        [.. shares.Select(s => new ShareResource(s.UserId, s.Name, s.Email, s.SharedBy, Rfc3339.Format(s.SharedAt)))];
}

/// <summary>An export's shares.</summary>
public sealed record ShareList([property: JsonPropertyName("shares")] IReadOnlyList<ShareResource> Shares);

/// <summary>
/// The export's delivery to one of the owner's destinations: <c>status</c> <c>Pending</c>, <c>Delivering</c>,
/// <c>Delivered</c> or <c>Failed</c>; <c>error</c> says in words why the last attempt failed; <c>files</c> are those written.
/// </summary>
public sealed record DeliveryResource(
    [property: JsonPropertyName("destinationId")] Guid DestinationId,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("files")] IReadOnlyList<DeliveredFileResource> Files)
{
    public static IReadOnlyList<DeliveryResource> From(IReadOnlyList<Portal.Exports.DeliveryInfo>? deliveries) =>
        [.. (deliveries ?? []).Select(d => new DeliveryResource(d.DestinationId, d.Status, d.Error, [.. d.Files.Select(f => new DeliveredFileResource(f.Name, f.Path, f.Bytes))]))];
}

public sealed record DeliveredFileResource(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("bytes")] long Bytes);

/// <summary>A result file; <c>url</c> is the portal's download address (send the token; it redirects or streams).</summary>
public sealed record ExportFileResource(
    [property: JsonPropertyName("part")] int Part,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("row_count")] long? RowCount,
    [property: JsonPropertyName("url")] string Url);

/// <summary>A status change (<c>from</c> null for the first) or a note such as a download (<c>from</c> equals <c>to</c>).</summary>
public sealed record TimelineEntryResource(
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("detail")] string? Detail);

public sealed record PageLinks(
    [property: JsonPropertyName("next")] string? Next,
    [property: JsonPropertyName("prev")] string? Prev);

/// <summary>
/// A page of exports; <c>page</c> counts from 1. Counting stops 10,000 matches past the page's start: then
/// <c>total_is_lower_bound</c> is true and <c>total</c> says only that at least that many match.
/// </summary>
public sealed record ExportPage(
    [property: JsonPropertyName("items")] IReadOnlyList<ExportResource> Items,
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("total_is_lower_bound")] bool TotalIsLowerBound,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize,
    [property: JsonPropertyName("links")] PageLinks Links);
