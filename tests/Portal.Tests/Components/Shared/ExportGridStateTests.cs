using Portal.Components.Shared;
using Portal.Exports;

namespace Portal.Tests.Components.Shared;

public class ExportGridStateTests
{
    private static ExportGridState Parse(bool admin = false, params (string Key, string? Value)[] query) =>
        ExportGridState.FromQuery(query.ToDictionary(q => q.Key, q => q.Value), admin);

    private static Dictionary<string, string?> Written(ExportGridState state) =>
        state.ToQuery().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => (string?)p.Value);

    [Fact]
    public void AnEmptyAddressIsTheDefaultViewAndTheDefaultViewWritesNothing()
    {
        var state = Parse();

        Assert.Equal(new ExportGridState(), state);
        Assert.Equal(ExportSort.CreatedAt, state.SortBy);
        Assert.True(state.Descending);
        Assert.Equal(0, state.Page);
        Assert.Equal(25, state.PageSize);
        Assert.Empty(Written(state));
        // Every key is written, so a default removes what the address said before.
        Assert.Equal(ExportGridState.Keys.Order(), state.ToQuery().Keys.Order());
    }

    [Fact]
    public void ReadsEveryValueOfTheAddress()
    {
        var state = Parse(admin: true,
            ("q", "csv"), ("status", "inprogress"), ("format", "parquet"), ("created", "2026-11-27"), ("owner", "bob"),
            ("slow", "true"), ("sort", "status"), ("dir", "desc"), ("page", "3"), ("size", "50"));

        Assert.Equal(new ExportGridState
        {
            Search = "csv",
            Status = ExportStatus.InProgress,
            Format = FileFormat.Parquet,
            CreatedOn = new DateOnly(2026, 11, 27),
            Owner = "bob",
            Slow = true,
            SortBy = ExportSort.Status,
            Descending = true,
            Page = 2,
            PageSize = 50,
        }, state);
    }

    [Fact]
    public void WritesWhatItReads()
    {
        var state = new ExportGridState
        {
            Search = "north site",
            Status = ExportStatus.Failed,
            Format = FileFormat.Orc,
            CreatedOn = new DateOnly(2026, 1, 2),
            Owner = "bob",
            Slow = true,
            SortBy = ExportSort.Owner,
            Descending = true,
            Page = 4,
            PageSize = 10,
        };

        var written = Written(state);

        Assert.Equal("ORC", written["format"]);
        Assert.Equal("Failed", written["status"]);
        Assert.Equal("5", written["page"]);
        Assert.Equal("owner", written["sort"]);
        Assert.Equal("desc", written["dir"]);
        Assert.Equal(state, ExportGridState.FromQuery(written, adminMode: true));
    }

    [Theory]
    [InlineData("created", null, "asc")]
    [InlineData("status", "status", null)]
    [InlineData("format", "format", null)]
    [InlineData("rangefrom", "rangefrom", null)]
    public void TheDirectionIsWrittenOnlyWhenItIsNotTheColumnsOwn(string column, string? sort, string? dir)
    {
        var byColumn = column == "created" ? ExportSort.CreatedAt : Enum.Parse<ExportSort>(column, ignoreCase: true);
        // A first click sorts a column its natural way; a click on the default column turns it around.
        var state = new ExportGridState().SortedBy(byColumn);

        var written = Written(state);

        Assert.Equal(sort, written.GetValueOrDefault("sort"));
        Assert.Equal(dir, written.GetValueOrDefault("dir"));
        Assert.Equal(state, Parse(query: [.. written.Select(w => (w.Key, w.Value))]));
    }

    [Fact]
    public void SortingTurnsTheSameColumnAroundAndStartsOnTheFirstPage()
    {
        var state = new ExportGridState { Page = 3 };

        var byStatus = state.SortedBy(ExportSort.Status);
        Assert.Equal((ExportSort.Status, false, 0), (byStatus.SortBy, byStatus.Descending, byStatus.Page));

        var turned = byStatus with { Page = 2 };
        turned = turned.SortedBy(ExportSort.Status);
        Assert.Equal((ExportSort.Status, true, 0), (turned.SortBy, turned.Descending, turned.Page));

        var byRange = turned.SortedBy(ExportSort.RangeFrom);
        Assert.True(byRange.Descending);
    }

    [Theory]
    [InlineData("status", "Bogus")]
    [InlineData("status", "3")]
    [InlineData("status", "Failed,Completed")]
    [InlineData("format", "xlsx")]
    [InlineData("format", "1")]
    [InlineData("created", "2026-13-01")]
    [InlineData("created", "27.11.2026")]
    [InlineData("sort", "password")]
    [InlineData("sort", "2")]
    [InlineData("dir", "sideways")]
    [InlineData("page", "0")]
    [InlineData("page", "-2")]
    [InlineData("page", "abc")]
    [InlineData("page", "99999999999999999999")]
    [InlineData("page", "1e3")]
    [InlineData("size", "7")]
    [InlineData("size", "100000")]
    [InlineData("slow", "maybe")]
    [InlineData("q", "   ")]
    public void AnUnreadableValueIsLeftAtItsDefault(string key, string value)
    {
        Assert.Equal(new ExportGridState(), Parse(admin: true, (key, value)));
    }

    [Fact]
    public void AnUnreadableValueDoesNotSpoilTheOthers()
    {
        var state = Parse(false, ("status", "nope"), ("sort", "format"), ("page", "x"), ("format", "CSV"));

        Assert.Equal(new ExportGridState { SortBy = ExportSort.Format, Descending = false, Format = FileFormat.Csv }, state);
    }

    [Fact]
    public void OwnerFilterSlowFilterAndOwnerSortAreForTheAdminGridOnly()
    {
        var state = Parse(admin: false, ("owner", "bob"), ("slow", "true"), ("sort", "owner"));

        Assert.Equal(new ExportGridState(), state);
        Assert.Equal(ExportSort.Owner, Parse(admin: true, ("sort", "owner")).SortBy);
    }

    [Fact]
    public void KnowsWhenItIsFiltered()
    {
        Assert.False(new ExportGridState { SortBy = ExportSort.Status, Page = 3, PageSize = 50 }.HasFilters);
        Assert.True(new ExportGridState { Search = "csv" }.HasFilters);
        Assert.True(new ExportGridState { CreatedOn = new DateOnly(2026, 1, 1) }.HasFilters);
        Assert.True(new ExportGridState { Slow = true }.HasFilters);
    }
}
