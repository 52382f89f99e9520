using Bunit;
using Portal.Components.Pages;

namespace Portal.Tests.Components.Pages;

public class HomeTests : PortalTestContext
{
    [Fact]
    public void ExplainsWhatThePortalDoes()
    {
        var home = Render<Home>();

        Assert.Equal("Device status exports", home.Find("h1").TextContent);
        Assert.Equal(3, home.FindAll("h2").Count);
    }
}

public class SignedInHomeTests : Portal.Tests.Components.ExportTestContext
{
    [Fact]
    public void ShowsTheUsersFiveLatestExportsAndANewExportButton()
    {
        var exports = Enumerable.Range(1, 7)
            .Select(i => AddExport(Portal.Kernel.ExportStatus.Completed, fileCount: 1, createdAt: Clock.GetUtcNow().AddMinutes(-i)))
            .ToList();
        AddExport(Portal.Kernel.ExportStatus.Completed, ownerId: "someone-else", ownerName: "Bob", createdAt: Clock.GetUtcNow());

        var home = Render<Home>();

        Assert.Equal(exports.Take(5).Select(e => e.Id.ToString()),
            home.FindAll("[data-testid=recent-export]").Select(r => r.GetAttribute("data-export-id")));
        Assert.Equal("exports/new", home.Find("[data-testid=new-export]").GetAttribute("href"));
        Assert.Equal($"exports/{exports[0].Id}", home.Find("[data-testid=recent-export] a").GetAttribute("href"));
        var query = Assert.Single(Service.Queries);
        Assert.Equal((5, Portal.Exports.ExportSort.CreatedAt, true), (query.PageSize, query.SortBy, query.Descending));
    }

    [Fact]
    public async Task AStatusChangeShowsWithoutAReload()
    {
        var export = AddExport(Portal.Kernel.ExportStatus.InProgress);
        var home = Render<Home>();

        Service.Exports[0] = export with { Status = Portal.Kernel.ExportStatus.Completed };
        await Changes.PublishAsync(new Portal.Exports.ExportChanged(export.Id, UserId, Portal.Kernel.ExportStatus.InProgress,
            Portal.Kernel.ExportStatus.Completed, Clock.GetUtcNow(), null, 10, 1), Xunit.TestContext.Current.CancellationToken);

        home.WaitForAssertion(() => Assert.Equal("Completed", home.Find("[data-testid=recent-export]").GetAttribute("data-status")));
    }
}
