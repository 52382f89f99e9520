using MudBlazor;
using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Tests.Components.Shared;

public class ExportGridViewTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void StartsAtTheDefaultViewAndShowsWhatTheAddressSays()
    {
        var view = new ExportGridView(adminMode: true);
        Assert.Equal(new ExportGridState(), view.State);

        var state = new ExportGridState
        {
            Search = "north", Status = ExportStatus.Failed, Format = FileFormat.Orc, CreatedOn = new DateOnly(2026, 11, 27),
            Owner = "bob", Slow = true, SortBy = ExportSort.Status, Descending = false, Page = 3, PageSize = 50,
        };
        view.Show(state);

        Assert.Equal(state, view.State);
        Assert.Equal(new DateTime(2026, 11, 27), view.CreatedOn);
        Assert.Equal(5, view.FilterCount);
    }

    [Fact]
    public void OwnerAndSlowReachTheStateOnlyInTheAdminGrid()
    {
        var view = new ExportGridView(adminMode: false);
        view.FilterByOwner("bob");
        view.FilterBySlow(true);

        Assert.Null(view.State.Owner);
        Assert.False(view.State.Slow);
        Assert.False(view.State.HasFilters);
        Assert.Null(view.ToQuery(_ => null).OwnerId);
        Assert.False(view.ToQuery(_ => null).AllUsers);
    }

    [Fact]
    public void TypedTextStaysAsTypedWhileTheStateAndQueryTrimIt()
    {
        var view = new ExportGridView(adminMode: true);
        view.SearchFor(" csv ");
        view.FilterByOwner(" bob ");

        Assert.Equal(" csv ", view.Search);
        Assert.Equal(" bob ", view.Owner);
        Assert.Equal(" csv ", view.State.Search);
        Assert.Equal("bob", view.State.Owner);
        var query = view.ToQuery(_ => null);
        Assert.Equal("csv", query.Search);
        Assert.Equal("bob", query.OwnerId);
        Assert.True(query.AllUsers);
    }

    [Fact]
    public void EveryFilterAndThePageSizeStartAgainAtTheFirstPage()
    {
        var changes = new Action<ExportGridView>[]
        {
            v => v.SearchFor("x"), v => v.FilterByOwner("bob"), v => v.FilterByStatus(ExportStatus.Queued), v => v.FilterByFormat(FileFormat.Csv),
            v => v.FilterByCreatedOn(new DateTime(2026, 11, 1)), v => v.FilterBySlow(true), v => v.ClearFilters(), v => v.ShowPageSize(10),
            v => v.SortOn(ExportSort.Status),
        };
        foreach (var change in changes)
        {
            var view = new ExportGridView(adminMode: true);
            view.GoToPage(4);
            Assert.Equal(3, view.Page);

            change(view);

            Assert.Equal(0, view.Page);
        }
    }

    [Fact]
    public void RefiningATextReplacesTheAddressEntryWhileStartingOrClearingItAddsOne()
    {
        var view = new ExportGridView(adminMode: true);

        Assert.False(view.SearchFor("c"));
        Assert.True(view.SearchFor("cs"));
        Assert.False(view.SearchFor(null));
        Assert.False(view.FilterByOwner("b"));
        Assert.True(view.FilterByOwner("bo"));
        Assert.False(view.FilterByOwner(""));
    }

    [Fact]
    public void ClearingFiltersKeepsSortAndPageSize()
    {
        var view = new ExportGridView(adminMode: true);
        view.Show(new ExportGridState
        {
            Search = "x", Status = ExportStatus.Queued, Format = FileFormat.Csv, CreatedOn = new DateOnly(2026, 1, 1), Owner = "bob", Slow = true,
            SortBy = ExportSort.Format, Descending = true, PageSize = 10,
        });
        Assert.Equal(5, view.FilterCount);

        view.ClearFilters();

        Assert.Equal(new ExportGridState { SortBy = ExportSort.Format, Descending = true, PageSize = 10 }, view.State);
        Assert.False(view.HasFilters);
        Assert.Equal(0, view.FilterCount);
    }

    [Fact]
    public void SortingTheSameColumnTurnsItAroundAndTheHeaderSaysSo()
    {
        var view = new ExportGridView(adminMode: false);
        Assert.Equal("descending", view.AriaSort(ExportSort.CreatedAt));
        Assert.Equal(Icons.Material.Filled.ArrowDownward, view.SortIcon(ExportSort.CreatedAt));
        Assert.Equal("none", view.AriaSort(ExportSort.Status));
        Assert.Equal(Icons.Material.Filled.UnfoldMore, view.SortIcon(ExportSort.Status));

        view.SortOn(ExportSort.CreatedAt);
        Assert.Equal("ascending", view.AriaSort(ExportSort.CreatedAt));
        Assert.Equal(Icons.Material.Filled.ArrowUpward, view.SortIcon(ExportSort.CreatedAt));

        view.SortOn(ExportSort.Format);
        Assert.Equal(ExportSort.Format, view.SortBy);
        Assert.False(view.Descending);
    }

    [Theory]
    [InlineData(0, 0, 25, false, "No exports", 1)]
    [InlineData(0, 7, 25, false, "1–7 of 7", 1)]
    [InlineData(1, 60, 25, false, "26–50 of 60", 3)]
    [InlineData(2, 60, 25, false, "51–60 of 60", 3)]
    [InlineData(0, 1000, 10, true, "1–10 of 1,000+", 100)]
    public void CountsAndPages(int page, int total, int size, bool lowerBound, string text, int pages)
    {
        var view = new ExportGridView(adminMode: false);
        view.ShowPageSize(size);
        view.GoToPage(page + 1);

        Assert.Equal(text, view.CountText(total, lowerBound));
        Assert.Equal(pages, view.PageCount(total));
    }

    [Fact]
    public void AfterADeleteEmptiedThePageGoesToTheLastPageThatHasRows()
    {
        var view = new ExportGridView(adminMode: false);
        view.GoToPage(5);

        view.GoToLastPageOf(51);

        Assert.Equal(2, view.Page);
    }

    [Fact]
    public void TheCreatedDayIsTheUsersDayInUtcAndFallsBackToUtcWhereTheZoneSkipsMidnight()
    {
        var view = new ExportGridView(adminMode: false);
        view.FilterByCreatedOn(new DateTime(2026, 11, 27));

        var berlin = view.ToQuery(local => new DateTimeOffset(local.AddHours(-1), TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 23, 0, 0, TimeSpan.Zero), berlin.CreatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 23, 0, 0, TimeSpan.Zero), berlin.CreatedTo);

        var skipped = view.ToQuery(_ => null);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), skipped.CreatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), skipped.CreatedTo);
    }

    [Fact]
    public void RowsFollowTheChangesOfTheirExportsAndIgnoreOthers()
    {
        var open = FakeSummary(ExportStatus.InProgress);
        var done = FakeSummary(ExportStatus.Completed);
        var rows = new ExportGridRows();
        rows.Show(new PagedResult<ExportSummary>([open, done], 120, TotalIsLowerBound: true));
        Assert.Equal(120, rows.Total);
        Assert.True(rows.TotalIsLowerBound);
        Assert.True(rows.HasOpen);

        Assert.False(rows.Apply(Change(Guid.NewGuid(), ExportStatus.Failed)));
        Assert.True(rows.Apply(Change(open.Id, ExportStatus.Failed, detail: "upstream said no")));

        var failed = rows.Items[0];
        Assert.Equal(ExportStatus.Failed, failed.Status);
        Assert.Equal("upstream said no", failed.LastError);
        Assert.Equal(At, failed.UpdatedAt);
        Assert.False(rows.HasOpen);
    }

    private static ExportSummary FakeSummary(ExportStatus status) =>
        Portal.Tests.Fakes.FakeExportService.Summary("user-1", "Ada", status, createdAt: At.AddHours(-1));

    private static ExportChanged Change(Guid id, ExportStatus status, string? detail = null) =>
        new(id, "user-1", ExportStatus.InProgress, status, At, detail, RowCount: null, FileCount: 0);
}
