using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MudBlazor;
using Portal.Components.Pages.Admin;
using Portal.Components.Pages.Exports;
using Portal.Components.Shared;
using Portal.Exports;
using Portal.Tests.Fakes;
using TestContext = Xunit.TestContext;

namespace Portal.Tests.Components.Shared;

public partial class ExportGridTests : ExportTestContext
{
    /// <summary>The search box waits this long after the last key, on the page's clock.</summary>
    private static readonly TimeSpan SearchDebounce = TimeSpan.FromMilliseconds(300);

    private IRenderedComponent<ExportGrid> RenderGrid(bool admin = false)
    {
        Render<MudPopoverProvider>();
        Render<MudDialogProvider>();
        return Render<ExportGrid>(p => p.Add(g => g.AdminMode, admin));
    }

    private static AngleSharp.Dom.IElement PageButton(IRenderedComponent<ExportGrid> grid, int page) =>
        grid.FindAll("[data-testid=pager] button").First(b => b.TextContent.Trim() == page.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void ListsTheUsersExportsWithTheirStatus()
    {
        var completed = AddExport(ExportStatus.Completed, fileCount: 1, rowCount: 1440);
        var running = AddExport(ExportStatus.InProgress);
        AddExport(ExportStatus.Completed, ownerId: "someone-else", ownerName: "Bob");

        var grid = RenderGrid();

        var rows = grid.FindAll("tr[data-testid=export-row]");
        Assert.Equal(2, rows.Count);
        Assert.Equal([completed.Id.ToString(), running.Id.ToString()], rows.Select(r => r.GetAttribute("data-export-id")));
        Assert.Equal(["Completed", "InProgress"], rows.Select(r => r.GetAttribute("data-status")));
        Assert.Empty(grid.FindAll("[data-testid=owner]"));
    }

    [Fact]
    public void AsksTheServiceForOnePageNewestFirst()
    {
        RenderGrid();

        var query = Assert.Single(Service.Queries);
        Assert.Equal(0, query.Page);
        Assert.Equal(25, query.PageSize);
        Assert.Equal(ExportSort.CreatedAt, query.SortBy);
        Assert.True(query.Descending);
        Assert.False(query.AllUsers);
    }

    [Fact]
    public void PagesThroughTheServiceOnePageAtATime()
    {
        for (var i = 0; i < 60; i++)
        {
            AddExport(ExportStatus.Completed, fileCount: 1);
        }
        var grid = RenderGrid();
        Assert.Equal(25, grid.FindAll("tr[data-testid=export-row]").Count);
        Assert.Equal("1–25 of 60", grid.Find("[data-testid=grid-count]").TextContent.Trim());

        PageButton(grid, 3).Click();

        Assert.Equal(2, Service.Queries[^1].Page);
        Assert.Equal(10, grid.FindAll("tr[data-testid=export-row]").Count);
        Assert.Equal("51–60 of 60", grid.Find("[data-testid=grid-count]").TextContent.Trim());
    }

    [Fact]
    public void ACappedCountShowsAtLeastAndThePagerStillGoesForward()
    {
        for (var i = 0; i < 100; i++)
        {
            AddExport(ExportStatus.Completed, fileCount: 1);
        }
        Service.CountAhead = 30;
        var grid = RenderGrid();
        Assert.Equal("1–25 of 30+", grid.Find("[data-testid=grid-count]").TextContent.Trim());

        PageButton(grid, 2).Click();
        Assert.Equal("26–50 of 55+", grid.Find("[data-testid=grid-count]").TextContent.Trim());
        PageButton(grid, 3).Click();
        Assert.Equal("51–75 of 80+", grid.Find("[data-testid=grid-count]").TextContent.Trim());
        PageButton(grid, 4).Click();

        Assert.Equal(3, Service.Queries[^1].Page);
        Assert.Equal(25, grid.FindAll("tr[data-testid=export-row]").Count);
        Assert.Equal("76–100 of 100", grid.Find("[data-testid=grid-count]").TextContent.Trim());
    }

    [Fact]
    public void SortingAColumnAsksTheServiceAndTogglesTheDirection()
    {
        var grid = RenderGrid();

        grid.Find("[data-testid=sort-Status]").Click();
        Assert.Equal(ExportSort.Status, Service.Queries[^1].SortBy);
        Assert.False(Service.Queries[^1].Descending);
        Assert.Equal("ascending", grid.Find("[data-testid=sort-Status]").Closest("th")!.GetAttribute("aria-sort"));

        grid.Find("[data-testid=sort-Status]").Click();
        Assert.True(Service.Queries[^1].Descending);

        grid.Find("[data-testid=sort-CreatedAt]").Click();
        Assert.Equal(ExportSort.CreatedAt, Service.Queries[^1].SortBy);
        Assert.True(Service.Queries[^1].Descending);
    }

    [Fact]
    public async Task FiltersGoToTheServiceAndStartOnTheFirstPage()
    {
        for (var i = 0; i < 30; i++)
        {
            AddExport(ExportStatus.Failed);
        }
        var grid = RenderGrid();
        PageButton(grid, 2).Click();
        Assert.Equal(1, Service.Queries[^1].Page);

        grid.Find("input[data-testid=grid-search]").Input("6f1c");
        Clock.Advance(SearchDebounce);
        grid.WaitForAssertion(() => Assert.Equal("6f1c", Service.Queries[^1].Search));
        Assert.Equal(0, Service.Queries[^1].Page);
        var status = grid.FindComponent<MudSelect<ExportStatus?>>();
        await grid.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync(ExportStatus.Failed));
        var format = grid.FindComponent<MudSelect<FileFormat?>>();
        await grid.InvokeAsync(() => format.Instance.ValueChanged.InvokeAsync(FileFormat.Avro));
        var created = grid.FindComponent<MudDatePicker>();
        await grid.InvokeAsync(() => created.Instance.DateChanged.InvokeAsync(new DateTime(2026, 11, 27)));

        var query = Service.Queries[^1];
        Assert.Equal(0, query.Page);
        Assert.Equal("6f1c", query.Search);
        Assert.Equal(ExportStatus.Failed, query.Status);
        Assert.Equal(FileFormat.Avro, query.Format);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), query.CreatedFrom);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero), query.CreatedTo);
        Assert.Contains("No exports match these filters.", grid.Find("[data-testid=grid-empty]").TextContent, StringComparison.Ordinal);

        grid.Find("[data-testid=clear-filters]").Click();
        query = Service.Queries[^1];
        Assert.Null(query.Search);
        Assert.Null(query.Status);
        Assert.Null(query.Format);
        Assert.Null(query.CreatedFrom);
    }

    [Fact]
    public void ShowsAnInvitationWhenTheHistoryIsEmpty()
    {
        var grid = RenderGrid();

        Assert.Contains("You have not requested an export yet.", grid.Find("[data-testid=grid-empty]").TextContent, StringComparison.Ordinal);
        Assert.Empty(grid.FindAll("[data-testid=clear-filters]"));
    }

    [Fact]
    public void SaysWhenTheHistoryCannotBeLoadedWithAReferenceToTheLogEntryButNotTheException()
    {
        Service.ListFailure = new InvalidOperationException("SQLite Error 5: 'database is locked' at /srv/portal/portal.db");

        var grid = RenderGrid();

        var error = grid.Find("[data-testid=grid-error]").TextContent;
        Assert.Contains("The exports could not be loaded.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("database is locked", error, StringComparison.Ordinal);
        Assert.DoesNotContain("/srv/portal", error, StringComparison.Ordinal);
        var reference = Reference().Match(error).Groups[1].Value;
        Assert.Matches("^[0-9a-f]{12}$", reference);
        Assert.Contains(Logs.Entries, e => e.Contains(reference, StringComparison.Ordinal) && e.Contains("database is locked", StringComparison.Ordinal));
        Assert.Empty(grid.FindAll("[data-testid=grid-empty]"));
    }

    [System.Text.RegularExpressions.GeneratedRegex("the reference ([0-9a-f]+)")]
    private static partial System.Text.RegularExpressions.Regex Reference();

    [Fact]
    public async Task AStatusChipChangesWhenThePublisherRaisesAChange()
    {
        var export = AddExport(ExportStatus.InProgress);
        var grid = RenderGrid();
        var queries = Service.Queries.Count;
        Assert.NotEmpty(grid.FindAll("[data-testid=elapsed]"));

        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.Completed,
            Clock.GetUtcNow(), null, 1440, 1), TestContext.Current.CancellationToken);

        grid.WaitForAssertion(() => Assert.Equal("Completed", grid.Find("tr[data-testid=export-row]").GetAttribute("data-status")));
        Assert.Equal(queries, Service.Queries.Count);
        Assert.Empty(grid.FindAll("[data-testid=elapsed]"));
        Assert.Equal($"exports/{export.Id}/files/0", grid.Find("[data-testid=action-download]").GetAttribute("href"));
    }

    [Fact]
    public async Task IgnoresOtherUsersChanges()
    {
        var export = AddExport(ExportStatus.InProgress);
        var grid = RenderGrid();
        var queries = Service.Queries.Count;

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), "someone-else", null, ExportStatus.Queued, Clock.GetUtcNow(), null, null, 0),
            TestContext.Current.CancellationToken);

        Assert.Equal(queries, Service.Queries.Count);
        Assert.Equal("InProgress", grid.Find("tr[data-testid=export-row]").GetAttribute("data-status"));
    }

    [Fact]
    public async Task ANewRequestOfTheUserAppearsOnTheFirstPage()
    {
        var grid = RenderGrid();
        var export = AddExport(ExportStatus.Queued);

        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, null, ExportStatus.Queued, Clock.GetUtcNow(), null, null, 0),
            TestContext.Current.CancellationToken);

        grid.WaitForAssertion(() => Assert.Equal(export.Id.ToString(), grid.Find("tr[data-testid=export-row]").GetAttribute("data-export-id")));
    }

    [Fact]
    public void OffersTheActionsThatFitEachStatus()
    {
        AddExport(ExportStatus.Completed, fileCount: 3);
        AddExport(ExportStatus.Submitted);
        AddExport(ExportStatus.Failed, lastError: "The upstream rejected the range.");

        var grid = RenderGrid();
        var rows = grid.FindAll("tr[data-testid=export-row]");

        Assert.Contains("#files", rows[0].QuerySelector("[data-testid=action-download]")!.GetAttribute("href"), StringComparison.Ordinal);
        Assert.NotNull(rows[0].QuerySelector("[data-testid=action-rerun]"));
        Assert.NotNull(rows[0].QuerySelector("[data-testid=action-delete]"));
        Assert.Null(rows[0].QuerySelector("[data-testid=action-cancel]"));
        Assert.NotNull(rows[1].QuerySelector("[data-testid=action-cancel]"));
        Assert.Null(rows[1].QuerySelector("[data-testid=action-download]"));
        Assert.Null(rows[1].QuerySelector("[data-testid=action-delete]"));
        Assert.Null(rows[2].QuerySelector("[data-testid=action-download]"));
        Assert.NotNull(rows[2].QuerySelector("[data-testid=action-rerun]"));
    }

    [Fact]
    public void CancelAsksFirstThenCallsTheService()
    {
        var export = AddExport(ExportStatus.Submitted);
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var grid = Render<ExportGrid>();

        grid.Find("[data-testid=action-cancel]").Click();
        Assert.Empty(Service.Cancelled);
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Contains("Cancel export", StringComparison.Ordinal)).Click());

        grid.WaitForAssertion(() => Assert.Equal([export.Id], Service.Cancelled));
    }

    [Fact]
    public void DeleteAsksFirstAndKeepsTheRequestWhenTheUserChangesTheirMind()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 1);
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var grid = Render<ExportGrid>();

        grid.Find("[data-testid=action-delete]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Contains("Keep it", StringComparison.Ordinal)).Click());
        Assert.Empty(Service.Deleted);

        grid.Find("[data-testid=action-delete]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Delete").Click());

        grid.WaitForAssertion(() => Assert.Empty(grid.FindAll("tr[data-testid=export-row]")));
        Assert.Equal([export.Id], Service.Deleted);
    }

    [Fact]
    public void ReRunOpensTheNewRequest()
    {
        var export = AddExport(ExportStatus.Failed);
        var grid = RenderGrid();

        grid.Find("[data-testid=action-rerun]").Click();

        Assert.Equal([export.Id], Service.Reruns);
        Assert.Matches("/exports/[0-9a-f-]{36}$", Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public void AdminModeListsEveryonesRequestsWithOwnersAndFiltersByOwner()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        AddExport(ExportStatus.Completed, fileCount: 1);
        AddExport(ExportStatus.InProgress, ownerId: "bob", ownerName: "Bob");

        var grid = RenderGrid(admin: true);

        Assert.True(Service.Queries[^1].AllUsers);
        Assert.Equal(2, grid.FindAll("tr[data-testid=export-row]").Count);
        Assert.Equal(["Ada User", "Bob"], grid.FindAll("[data-testid=owner]").Select(o => o.TextContent.Trim()));
        // Admins cancel and re-run for users, but do not delete their history.
        Assert.Empty(grid.FindAll("[data-testid=action-delete]"));
        Assert.NotEmpty(grid.FindAll("[data-testid=action-cancel]"));

        grid.FindAll("[data-testid=owner]")[1].Click();

        Assert.Equal("bob", Service.Queries[^1].OwnerId);
        Assert.Equal("Bob", grid.Find("[data-testid=owner]").TextContent.Trim());
        Assert.Equal("bob", grid.Find("input[data-testid=filter-owner]").GetAttribute("value"));
    }

    [Fact]
    public void MyExportsPageShowsTheGridForTheUser()
    {
        Render<MudPopoverProvider>();
        var page = Render<MyExports>();

        Assert.Equal("My exports", page.Find("h1").TextContent);
        Assert.False(page.FindComponent<ExportGrid>().Instance.AdminMode);
        Assert.Equal("exports/new", page.Find("[data-testid=new-export]").GetAttribute("href"));
    }

    [Fact]
    public void AdminExportsPageShowsTheGridInAdminMode()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        Render<MudPopoverProvider>();
        var page = Render<AdminExports>();

        Assert.Equal("All exports", page.Find("h1").TextContent);
        Assert.True(page.FindComponent<ExportGrid>().Instance.AdminMode);
        Assert.True(Service.Queries[^1].AllUsers);
    }

    [Fact]
    public void OnAPhoneTheFiltersFoldBehindAButton()
    {
        var grid = RenderGrid();
        var filters = () => grid.Find("[data-testid=filter-status]").Closest("div.flex-wrap")!;
        Assert.Contains("d-none", filters().ClassList);
        Assert.Contains("d-sm-flex", filters().ClassList);

        grid.Find("[data-testid=toggle-filters]").Click();

        Assert.DoesNotContain("d-none", filters().ClassList);
        Assert.Equal("true", grid.Find("[data-testid=toggle-filters]").GetAttribute("aria-expanded"));
    }

    private BunitNavigationManager Navigation => Services.GetRequiredService<BunitNavigationManager>();

    [Fact]
    public void ShowsTheViewTheAddressDescribes()
    {
        for (var i = 0; i < 30; i++)
        {
            AddExport(ExportStatus.Failed);
        }
        Navigation.NavigateTo("exports?sort=status&dir=desc&status=Failed&format=avro&created=2026-11-27&page=2&size=10&q=6f1c");

        var grid = RenderGrid();

        var query = Service.Queries[^1];
        Assert.Equal((ExportSort.Status, true, 1, 10), (query.SortBy, query.Descending, query.Page, query.PageSize));
        Assert.Equal((ExportStatus.Failed, FileFormat.Avro, "6f1c"), (query.Status, query.Format, query.Search));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), query.CreatedFrom);
        Assert.Equal("descending", grid.Find("[data-testid=sort-Status]").Closest("th")!.GetAttribute("aria-sort"));
        Assert.Equal("6f1c", grid.Find("input[data-testid=grid-search]").GetAttribute("value"));
    }

    [Fact]
    public void UnreadableValuesInTheAddressShowTheDefaultView()
    {
        AddExport(ExportStatus.Completed, fileCount: 1);
        Navigation.NavigateTo("exports?sort=drop%20table&dir=up&status=7&format=xlsx&created=yesterday&page=-1&size=1000000&owner=bob&slow=true");

        var grid = RenderGrid();

        var query = Assert.Single(Service.Queries);
        Assert.Equal(new ExportQuery { Page = 0, PageSize = 25, SortBy = ExportSort.CreatedAt, Descending = true }, query);
        Assert.Single(grid.FindAll("tr[data-testid=export-row]"));
    }

    [Fact]
    public void SortAndPagesGoIntoTheAddressAsHistoryEntries()
    {
        for (var i = 0; i < 60; i++)
        {
            AddExport(ExportStatus.Completed, fileCount: 1);
        }
        Navigation.NavigateTo("exports");
        var grid = RenderGrid();
        var queries = Service.Queries.Count;

        grid.Find("[data-testid=sort-Status]").Click();
        Assert.EndsWith("/exports?sort=status", Navigation.Uri, StringComparison.Ordinal);
        PageButton(grid, 2).Click();
        Assert.EndsWith("/exports?sort=status&page=2", Navigation.Uri, StringComparison.Ordinal);

        Assert.All(Navigation.History.Take(2), h => Assert.False(h.Options.ReplaceHistoryEntry));
        // The address catching up with the grid loads nothing again.
        Assert.Equal(queries + 2, Service.Queries.Count);
    }

    [Fact]
    public void BackToAnEarlierAddressShowsThatView()
    {
        for (var i = 0; i < 60; i++)
        {
            AddExport(ExportStatus.Completed, fileCount: 1);
        }
        Navigation.NavigateTo("exports");
        var grid = RenderGrid();
        grid.Find("[data-testid=sort-Status]").Click();
        PageButton(grid, 2).Click();

        Navigation.NavigateTo("exports?sort=status");
        grid.WaitForAssertion(() => Assert.Equal((ExportSort.Status, false, 0), (Service.Queries[^1].SortBy, Service.Queries[^1].Descending, Service.Queries[^1].Page)));
        Navigation.NavigateTo("exports");

        grid.WaitForAssertion(() => Assert.Equal((ExportSort.CreatedAt, true, 0), (Service.Queries[^1].SortBy, Service.Queries[^1].Descending, Service.Queries[^1].Page)));
        Assert.Equal("descending", grid.Find("[data-testid=sort-CreatedAt]").Closest("th")!.GetAttribute("aria-sort"));
        Assert.Equal("none", grid.Find("[data-testid=sort-Status]").Closest("th")!.GetAttribute("aria-sort"));
    }

    [Fact]
    public async Task AFilterStartsOnTheFirstPageAndAddsAHistoryEntry()
    {
        for (var i = 0; i < 60; i++)
        {
            AddExport(ExportStatus.Failed);
        }
        Navigation.NavigateTo("exports?page=3");
        var grid = RenderGrid();
        Assert.Equal(2, Service.Queries[^1].Page);

        var status = grid.FindComponent<MudSelect<ExportStatus?>>();
        await grid.InvokeAsync(() => status.Instance.ValueChanged.InvokeAsync(ExportStatus.Failed));

        Assert.Equal(0, Service.Queries[^1].Page);
        Assert.EndsWith("/exports?status=Failed", Navigation.Uri, StringComparison.Ordinal);
        Assert.False(Navigation.History.First().Options.ReplaceHistoryEntry);
    }

    [Fact]
    public void StartingASearchAddsAHistoryEntryAndRefiningItReplacesIt()
    {
        Navigation.NavigateTo("exports?sort=format");
        var grid = RenderGrid();

        grid.Find("input[data-testid=grid-search]").Input("cs");
        Clock.Advance(SearchDebounce);
        grid.WaitForAssertion(() => Assert.EndsWith("/exports?sort=format&q=cs", Navigation.Uri, StringComparison.Ordinal));
        Assert.False(Navigation.History.First().Options.ReplaceHistoryEntry);

        grid.Find("input[data-testid=grid-search]").Input("csv");
        Clock.Advance(SearchDebounce);
        grid.WaitForAssertion(() => Assert.EndsWith("/exports?sort=format&q=csv", Navigation.Uri, StringComparison.Ordinal));
        Assert.True(Navigation.History.First().Options.ReplaceHistoryEntry);
        grid.WaitForAssertion(() => Assert.Equal("csv", Service.Queries[^1].Search));
    }

    [Fact]
    public void ClickingARowOrPressingEnterOnItOpensTheExport()
    {
        var first = AddExport(ExportStatus.Completed, fileCount: 1);
        var second = AddExport(ExportStatus.Failed);
        var grid = RenderGrid();
        var rows = grid.FindAll("tr[data-testid=export-row]");
        Assert.All(rows, r => Assert.Equal("0", r.GetAttribute("tabindex")));

        rows[0].QuerySelector("td:nth-child(4)")!.Click();
        Assert.EndsWith($"/exports/{first.Id}", Navigation.Uri, StringComparison.Ordinal);

        grid.FindAll("tr[data-testid=export-row]")[1].KeyDown(new KeyboardEventArgs { Key = "Enter" });
        Assert.EndsWith($"/exports/{second.Id}", Navigation.Uri, StringComparison.Ordinal);

        var uri = Navigation.Uri;
        grid.FindAll("tr[data-testid=export-row]")[0].KeyDown(new KeyboardEventArgs { Key = "Tab" });
        grid.FindAll("tr[data-testid=export-row]")[0].Click(new MouseEventArgs { Button = 0, CtrlKey = true });
        Assert.Equal(uri, Navigation.Uri);
    }

    [Fact]
    public void TheButtonsAndLinksInsideARowKeepTheirOwnClicks()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        AddExport(ExportStatus.Submitted, ownerId: "bob", ownerName: "Bob");
        var grid = RenderGrid(admin: true);
        Navigation.NavigateTo("admin/exports");

        grid.Find("[data-testid=owner]").Click();
        Assert.Equal("bob", Service.Queries[^1].OwnerId);
        Assert.EndsWith("/admin/exports?owner=bob", Navigation.Uri, StringComparison.Ordinal);
        grid.Find("[data-testid=action-cancel]").Click();

        Assert.DoesNotContain("/exports/", Navigation.Uri, StringComparison.Ordinal);
    }
}
