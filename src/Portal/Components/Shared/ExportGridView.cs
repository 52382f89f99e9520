using System.Globalization;
using MudBlazor;
using Portal.Exports;

namespace Portal.Components.Shared;

/// <summary>
/// What a history grid shows while the user edits it: search and owner as typed, filters, sort and page. Its
/// <see cref="State"/> is what goes to the address, and <see cref="Show"/> takes what comes from it. A change of
/// a filter, the search or the page size starts again at the first page.
/// </summary>
public sealed class ExportGridView(bool adminMode)
{
    public string? Search { get; private set; }

    public ExportStatus? Status { get; private set; }

    public FileFormat? Format { get; private set; }

    /// <summary>A day in the user's time zone, as the date picker holds it.</summary>
    public DateTime? CreatedOn { get; private set; }

    /// <summary>Admin grid only.</summary>
    public string? Owner { get; private set; }

    /// <summary>Admin grid only.</summary>
    public bool Slow { get; private set; }

    /// <summary>Only this team's exports, by name.</summary>
    public string? Team { get; private set; }

    /// <summary>User grid only: the exports shared with the user instead of their own and their teams'.</summary>
    public bool Shared { get; private set; }

    public ExportSort SortBy { get; private set; } = ExportSort.CreatedAt;

    public bool Descending { get; private set; } = true;

    /// <summary>Zero-based.</summary>
    public int Page { get; private set; }

    public int PageSize { get; private set; } = ExportGridState.DefaultPageSize;

    public bool HasFilters => State.HasFilters;

    /// <summary>The filters beside the search that are set, for the phone's folded filter button.</summary>
    public int FilterCount =>
        new object?[] { Status, Format, CreatedOn, string.IsNullOrEmpty(Owner) ? null : Owner, Slow ? true : null, Team, Shared ? true : null }
            .Count(f => f is not null);

    public ExportGridState State => new()
    {
        Search = string.IsNullOrWhiteSpace(Search) ? null : Search,
        Status = Status,
        Format = Format,
        CreatedOn = CreatedOn is { } day ? DateOnly.FromDateTime(day) : null,
        Owner = adminMode && !string.IsNullOrWhiteSpace(Owner) ? Owner.Trim() : null,
        Slow = adminMode && Slow,
        Team = string.IsNullOrWhiteSpace(Team) ? null : Team,
        Shared = !adminMode && Shared,
        SortBy = SortBy,
        Descending = Descending,
        Page = Page,
        PageSize = PageSize,
    };

    public void Show(ExportGridState state)
    {
        Search = state.Search;
        Status = state.Status;
        Format = state.Format;
        CreatedOn = state.CreatedOn?.ToDateTime(TimeOnly.MinValue);
        Owner = state.Owner;
        Slow = state.Slow;
        Team = state.Team;
        Shared = state.Shared;
        SortBy = state.SortBy;
        Descending = state.Descending;
        Page = state.Page;
        PageSize = state.PageSize;
    }

    /// <summary>True when the search was refined rather than started or cleared, so the address's entry is replaced.</summary>
    public bool SearchFor(string? value)
    {
        var refining = !string.IsNullOrWhiteSpace(Search) && !string.IsNullOrWhiteSpace(value);
        Search = value;
        Page = 0;
        return refining;
    }

    /// <summary>True when the owner id was refined rather than started or cleared, as for <see cref="SearchFor"/>.</summary>
    public bool FilterByOwner(string? value)
    {
        var refining = !string.IsNullOrWhiteSpace(Owner) && !string.IsNullOrWhiteSpace(value);
        Owner = value;
        Page = 0;
        return refining;
    }

    public void FilterByStatus(ExportStatus? value) => (Status, Page) = (value, 0);

    public void FilterByFormat(FileFormat? value) => (Format, Page) = (value, 0);

    public void FilterByCreatedOn(DateTime? value) => (CreatedOn, Page) = (value, 0);

    public void FilterBySlow(bool value) => (Slow, Page) = (value, 0);

    public void FilterByTeam(string? value) => (Team, Page) = (string.IsNullOrWhiteSpace(value) ? null : value, 0);

    public void ShowShared(bool value) => (Shared, Page) = (value, 0);

    public void ClearFilters()
    {
        (Search, Status, Format, CreatedOn, Owner, Slow, Team, Shared) = (null, null, null, null, null, false, null, false);
        Page = 0;
    }

    public void SortOn(ExportSort sort) => Show(State.SortedBy(sort));

    /// <summary>The pager's choice, which counts from 1.</summary>
    public void GoToPage(int selected) => Page = selected - 1;

    public void ShowPageSize(int size) => (PageSize, Page) = (size, 0);

    /// <summary>After a delete left this page empty: the last page that has rows.</summary>
    public void GoToLastPageOf(int total) => Page = Math.Max(0, (total - 1) / PageSize);

    public int PageCount(int total) => Math.Max(1, (total + PageSize - 1) / PageSize);

    /// <summary>"26–50 of 120", with a "+" when the total is a lower bound.</summary>
    public string CountText(int total, bool totalIsLowerBound) => total == 0
        ? "No exports"
        : string.Create(CultureInfo.InvariantCulture,
            $"{(Page * PageSize) + 1}–{Math.Min(total, (Page + 1) * PageSize)} of {Formatting.Count(total)}{(totalIsLowerBound ? "+" : "")}");

    public string? SortIcon(ExportSort sort) => SortBy != sort
        ? Icons.Material.Filled.UnfoldMore
        : Descending ? Icons.Material.Filled.ArrowDownward : Icons.Material.Filled.ArrowUpward;

    public string AriaSort(ExportSort sort) => SortBy != sort ? "none" : Descending ? "descending" : "ascending";

    /// <summary>
    /// The service's query for this view; <paramref name="toUtc"/> turns the chosen day's local midnights into
    /// instants (null for a midnight the zone skips, then the day is taken in UTC).
    /// </summary>
    public ExportQuery ToQuery(Func<DateTime, DateTimeOffset?> toUtc)
    {
        DateTimeOffset? createdFrom = null, createdTo = null;
        if (CreatedOn is { } day)
        {
            createdFrom = toUtc(day.Date) ?? new DateTimeOffset(day.Date, TimeSpan.Zero);
            createdTo = toUtc(day.Date.AddDays(1)) ?? createdFrom.Value.AddDays(1);
        }
        return new ExportQuery
        {
            Page = Page,
            PageSize = PageSize,
            SortBy = SortBy,
            Descending = Descending,
            Status = Status,
            Format = Format,
            CreatedFrom = createdFrom,
            CreatedTo = createdTo,
            Search = string.IsNullOrWhiteSpace(Search) ? null : Search.Trim(),
            OwnerId = adminMode && !string.IsNullOrWhiteSpace(Owner) ? Owner.Trim() : null,
            AllUsers = adminMode,
            Slow = adminMode && Slow,
            Team = string.IsNullOrWhiteSpace(Team) ? null : Team,
            SharedWithMe = !adminMode && Shared,
        };
    }
}
