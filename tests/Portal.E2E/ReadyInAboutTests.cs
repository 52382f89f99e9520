using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Tracking;

namespace Portal.E2E;

[Collection(BrowserTestsC.Name)]
public class ReadyInAboutTests(PortalServer server)
{
    [Fact]
    public async Task ReadyInAboutTurnsIntoSlowerThanUsualOnARequestTheUpstreamHoldsBack()
    {
        await using var user = await server.NewSessionAsync();
        await using var admin = await server.NewSessionAsync();
        // History first: similar exports took 6 to 10 s.
        await SeedCompletedExportsAsync(FileFormat.TextFile, 6, 7, 8, 9, 10);
        await Task.WhenAll(
            user.SignInAsync("Held User"),
            admin.SignInAsync("Watchful Admin", admin: true, returnUrl: "/admin/exports"));
        server.ReconfigureSimulator(o => o.Faults.NeverCompleteRate = 1);
        try
        {
            var id = await user.SubmitLastHourAsync("TEXTFILE");

            // Other scenarios' completed exports may have joined the history: the range is theirs and these.
            await Expect(user.Page.GetByTestId("eta")).ToContainTextAsync("Usually ready in");
            // Past the 95th percentile (under 10 s) it is slower than usual; it stays open until cancelled.
            await Expect(user.Page.GetByTestId("slower-than-usual")).ToContainTextAsync("Slower than usual");
            await Expect(user.Page.GetByTestId("eta")).ToHaveCountAsync(0);
            await user.ExpectStatusAsync("InProgress");

            // The grid flags it too, and admins find it with the slow-requests filter.
            await user.GoToAsync("exports");
            await Expect(user.Page.Locator($"tr[data-export-id='{id}']").GetByTestId("slower-than-usual")).ToBeVisibleAsync();
            await admin.Page.GetByTestId("filter-slow").ClickAsync();
            await Expect(admin.Page.Locator($"tr[data-export-id='{id}']")).ToBeVisibleAsync();
            await Expect(admin.Page.Locator("tr[data-testid=export-row][data-status=Completed]")).ToHaveCountAsync(0);
            user.AssertNoConsoleErrors();
            admin.AssertNoConsoleErrors();
        }
        finally
        {
            server.ResetSimulator();
        }
    }

    /// <summary>
    /// Completed requests like the one the user will ask for (last hour, <paramref name="format"/>) in the portal's
    /// database, learned the way the tracker learns its history when it starts.
    /// </summary>
    private async Task SeedCompletedExportsAsync(FileFormat format, params int[] seconds)
    {
        var now = DateTimeOffset.UtcNow;
        var to = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        await using (var db = await server.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            foreach (var (duration, i) in seconds.Select((d, i) => (d, i)))
            {
                var submitted = now.AddMinutes(-10 - i);
                db.ExportRequests.Add(new ExportRequest
                {
                    Id = Guid.CreateVersion7(submitted),
                    OwnerId = $"earlier-user-{Guid.NewGuid():N}",
                    OwnerName = "Earlier User",
                    RangeFrom = to.AddHours(-1),
                    RangeTo = to,
                    Format = format,
                    Status = ExportStatus.Completed,
                    RequestUuid = Guid.NewGuid().ToString(),
                    CreatedAt = submitted,
                    UpdatedAt = submitted.AddSeconds(duration),
                    SubmittedAt = submitted,
                    CompletedAt = submitted.AddSeconds(duration),
                    RowCount = 1200,
                });
            }
            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }
        await server.Services.GetRequiredService<PreparationEstimator>().LoadAsync(TestContext.Current.CancellationToken);
    }
}
