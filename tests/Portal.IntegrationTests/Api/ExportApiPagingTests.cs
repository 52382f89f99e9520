using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using static Portal.IntegrationTests.Api.ApiCalls;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Api;

/// <summary>
/// Paging of <c>/api/v1/exports</c> past the count cap, on a portal of its own: its ten thousand stored rows are not
/// written through the every-level log capture of <see cref="ExportApiTests"/>, which would format an entry per row.
/// </summary>
public class ExportApiPagingTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AListPastTheCountsCapSaysItsTotalIsALowerBoundAndStillLinksTheNextPage()
    {
        var user = User("Mona");
        await AddCompletedAsync(user, Portal.Exports.ExportQueries.CountAhead + 10);
        using var client = await portal.ApiClientForAsync(user);
        var pastTheCap = (Portal.Exports.ExportQueries.CountAhead / 50) + 1;

        var first = await JsonAsync(await client.GetAsync($"{ExportsPath}?page_size=50", Cancellation));
        var last = await JsonAsync(await client.GetAsync($"{ExportsPath}?page_size=50&page={pastTheCap}", Cancellation));

        Assert.Equal(Portal.Exports.ExportQueries.CountAhead, first.GetProperty("total").GetInt32());
        Assert.True(first.GetProperty("total_is_lower_bound").GetBoolean());
        Assert.Equal(50, first.GetProperty("items").GetArrayLength());
        Assert.EndsWith("page=2", first.GetProperty("links").GetProperty("next").GetString(), StringComparison.Ordinal);
        Assert.Equal(Portal.Exports.ExportQueries.CountAhead + 10, last.GetProperty("total").GetInt32());
        Assert.False(last.GetProperty("total_is_lower_bound").GetBoolean());
        Assert.Equal(10, last.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("links").GetProperty("next").ValueKind);
    }

    private async Task AddCompletedAsync(ExportUser owner, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var range = Day(2);
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        db.ExportRequests.AddRange(Enumerable.Range(0, count).Select(i => now.AddSeconds(-i)).Select(created => new ExportRequest
        {
            Id = Guid.CreateVersion7(created),
            OwnerId = owner.Id,
            OwnerName = owner.Name,
            RangeFrom = range.From,
            RangeTo = range.To,
            Format = FileFormat.Csv,
            Status = ExportStatus.Completed,
            CreatedAt = created,
            CreatedDay = DateOnly.FromDateTime(created.UtcDateTime),
            UpdatedAt = created,
            CompletedAt = created,
        }));
        await db.SaveChangesAsync(Cancellation);
    }
}
