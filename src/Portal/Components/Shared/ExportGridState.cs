using System.Globalization;
using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// What a history grid shows (search, filters, sort, page), as it travels in the address: read from the query string
/// with every unreadable value replaced by its default, and written back with defaults left out, so Back, a reload and
/// a shared link show the same view and a plain <c>/exports</c> stays plain.
/// </summary>
public sealed record ExportGridState
{
    public const string SearchKey = "q";
    public const string StatusKey = "status";
    public const string FormatKey = "format";
    public const string CreatedKey = "created";
    public const string OwnerKey = "owner";
    public const string SlowKey = "slow";
    public const string TeamKey = "team";
    public const string SharedKey = "shared";
    public const string SortKey = "sort";
    public const string DirectionKey = "dir";
    public const string PageKey = "page";
    public const string SizeKey = "size";

    public const int DefaultPageSize = 25;

    /// <summary>Far beyond any history; keeps the page's offset inside an <see cref="int"/>.</summary>
    private const int MaxPage = 1_000_000;

    public static IReadOnlyList<int> PageSizes { get; } = [10, 25, 50];

    public static IReadOnlyList<string> Keys { get; } =
        [SearchKey, StatusKey, FormatKey, CreatedKey, OwnerKey, SlowKey, TeamKey, SharedKey, SortKey, DirectionKey, PageKey, SizeKey];

    public string? Search { get; init; }

    public ExportStatus? Status { get; init; }

    public FileFormat? Format { get; init; }

    public DateOnly? CreatedOn { get; init; }

    /// <summary>Admin grid only.</summary>
    public string? Owner { get; init; }

    /// <summary>Admin grid only.</summary>
    public bool Slow { get; init; }

    /// <summary>Only this team's exports, by name.</summary>
    public string? Team { get; init; }

    /// <summary>Only the exports shared with the user (user grid only).</summary>
    public bool Shared { get; init; }

    public ExportSort SortBy { get; init; } = ExportSort.CreatedAt;

    public bool Descending { get; init; } = true;

    /// <summary>Zero-based; the address counts from 1 as people do.</summary>
    public int Page { get; init; }

    public int PageSize { get; init; } = DefaultPageSize;

    public bool HasFilters => !string.IsNullOrEmpty(Search) || Status is not null || Format is not null || CreatedOn is not null
        || !string.IsNullOrEmpty(Owner) || Slow || !string.IsNullOrEmpty(Team) || Shared;

    /// <summary>Dates, times and ranges read newest first; names and statuses alphabetically.</summary>
    public static bool DescendsByDefault(ExportSort sort) => sort is ExportSort.CreatedAt or ExportSort.UpdatedAt or ExportSort.RangeFrom;

    /// <summary>A click on a column's header: the same column turns around, another starts in its natural direction.</summary>
    public ExportGridState SortedBy(ExportSort sort) => SortBy == sort
        ? this with { Descending = !Descending, Page = 0 }
        : this with { SortBy = sort, Descending = DescendsByDefault(sort), Page = 0 };

    /// <summary>Reads the grid's state from the query string's values; what cannot be read is left at its default.</summary>
    public static ExportGridState FromQuery(IReadOnlyDictionary<string, string?> query, bool adminMode)
    {
        string? Get(string key) => query.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

        var sort = TryParseName<ExportSort>(Get(SortKey)) is { } s && (adminMode || s != ExportSort.Owner) ? s : ExportSort.CreatedAt;
        var descending = Get(DirectionKey)?.ToLowerInvariant() switch
        {
            "asc" => false,
            "desc" => true,
            _ => DescendsByDefault(sort),
        };
        var page = int.TryParse(Get(PageKey), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= MaxPage ? p - 1 : 0;
        var size = int.TryParse(Get(SizeKey), NumberStyles.None, CultureInfo.InvariantCulture, out var z) && PageSizes.Contains(z) ? z : DefaultPageSize;
        return new ExportGridState
        {
            Search = query.TryGetValue(SearchKey, out var search) && !string.IsNullOrWhiteSpace(search) ? search : null,
            Status = TryParseName<ExportStatus>(Get(StatusKey)),
            Format = FileFormats.TryParseApiName(Get(FormatKey), out var format) && IsName(Get(FormatKey)) ? format : null,
            CreatedOn = DateOnly.TryParseExact(Get(CreatedKey), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null,
            Owner = adminMode ? Get(OwnerKey) : null,
            Slow = adminMode && bool.TryParse(Get(SlowKey), out var slow) && slow,
            Team = Get(TeamKey),
            Shared = !adminMode && bool.TryParse(Get(SharedKey), out var shared) && shared,
            SortBy = sort,
            Descending = descending,
            Page = page,
            PageSize = size,
        };
    }

    /// <summary>
    /// The query string's values for this state, every key of the grid included: a default is null, which
    /// <c>GetUriWithQueryParameters</c> removes from the address.
    /// </summary>
    public IReadOnlyDictionary<string, object?> ToQuery() => new Dictionary<string, object?>
    {
        [SearchKey] = string.IsNullOrWhiteSpace(Search) ? null : Search,
        [StatusKey] = Status?.ToString(),
        [FormatKey] = Format?.ApiName(),
        [CreatedKey] = CreatedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        [OwnerKey] = string.IsNullOrWhiteSpace(Owner) ? null : Owner,
        [SlowKey] = Slow ? "true" : null,
        [TeamKey] = string.IsNullOrWhiteSpace(Team) ? null : Team,
        [SharedKey] = Shared ? "true" : null,
        [SortKey] = SortBy == ExportSort.CreatedAt ? null : SortBy.ToString().ToLowerInvariant(),
        [DirectionKey] = Descending == DescendsByDefault(SortBy) ? null : Descending ? "desc" : "asc",
        [PageKey] = Page == 0 ? null : (Page + 1).ToString(CultureInfo.InvariantCulture),
        [SizeKey] = PageSize == DefaultPageSize ? null : PageSize.ToString(CultureInfo.InvariantCulture),
    };

    // Enum.TryParse also takes numbers ("7") and lists ("a,b"); the address carries names only.
    private static T? TryParseName<T>(string? value) where T : struct, Enum =>
        IsName(value) && Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) ? parsed : null;

    private static bool IsName(string? value) => value is { Length: > 0 } && value.All(char.IsAsciiLetter);
}
