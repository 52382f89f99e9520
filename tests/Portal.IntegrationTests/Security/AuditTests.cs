using Portal.Exports;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Security;

/// <summary>Audit entries of the export service's commands, read from the captured log.</summary>
public class AuditTests : IClassFixture<LoggedPortalFactory>
{
    private readonly LoggedPortalFactory portal;

    public AuditTests(LoggedPortalFactory portal)
    {
        this.portal = portal;
        // Requests stay open, so they can be cancelled whenever a test gets to it.
        portal.Simulator.Reconfigure(options => options.Faults.NeverCompleteRate = 1);
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly ExportUser Admin = User("Audra", admin: true);

    private async Task<Guid> SubmitAsync(ExportUser owner, int daysAgo)
    {
        var id = Accepted(await portal.Exports().SubmitAsync(owner, Day(daysAgo), FileFormat.Csv, Cancellation));
        await portal.WaitForAsync(id, row => row.RequestUuid is not null);
        return id;
    }

    private List<string> AuditEntries(Guid id) =>
        [.. portal.Logs.Entries.Where(e => e.Contains("Portal.Audit", StringComparison.Ordinal) && e.Contains(id.ToString(), StringComparison.Ordinal))];

    [Fact]
    public async Task AnAdminCancellingAnotherUsersRequestWritesAnAuditEntry()
    {
        var owner = User("Carla");
        var id = await SubmitAsync(owner, 2);

        var cancelled = await portal.Exports().CancelAsync(Admin, id, Cancellation);

        Assert.True(cancelled);
        Assert.Equal(ExportStatus.Cancelled, (await portal.RowAsync(id)).Status);
        var entry = Assert.Single(AuditEntries(id));
        Assert.Contains($"Audit: admin {Admin.Id} did Cancel on export {id} of {owner.Id}", entry, StringComparison.Ordinal);
        Assert.Contains("[AdminAction]", entry, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminDeletingOrRerunningAnotherUsersRequestWritesAnAuditEntry()
    {
        var owner = User("Dora");
        var rerun = await SubmitAsync(owner, 3);
        var deleted = await SubmitAsync(owner, 4);

        var again = await portal.Exports().RerunAsync(Admin, rerun, Cancellation);
        var gone = await portal.Exports().DeleteAsync(Admin, deleted, Cancellation);

        Assert.IsType<SubmitOutcome.Accepted>(again);
        Assert.True(gone);
        Assert.Contains(AuditEntries(rerun), e => e.Contains($"Audit: admin {Admin.Id} did Rerun on export {rerun} of {owner.Id}", StringComparison.Ordinal));
        Assert.Contains(AuditEntries(deleted), e => e.Contains($"Audit: admin {Admin.Id} did Delete on export {deleted} of {owner.Id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OwnersActingOnTheirOwnRequestsAreNotAdminActions()
    {
        var selfAdmin = User("Edda", admin: true);
        var own = await SubmitAsync(selfAdmin, 5);
        var plain = await SubmitAsync(User("Fritz"), 6);

        Assert.True(await portal.Exports().CancelAsync(selfAdmin, own, Cancellation));
        Assert.True(await portal.Exports().CancelAsync(User("Fritz"), plain, Cancellation));

        Assert.Empty(AuditEntries(own));
        Assert.Empty(AuditEntries(plain));
    }

    [Fact]
    public async Task AnotherUsersRequestIsNotFoundAndEachAttemptIsAuditedAsDenied()
    {
        var intruder = User("Ivo");
        var id = await SubmitAsync(User("Greta"), 7);
        var exports = portal.Exports();

        Assert.Null(await exports.GetAsync(intruder, id, Cancellation));
        Assert.False(await exports.CancelAsync(intruder, id, Cancellation));
        Assert.False(await exports.DeleteAsync(intruder, id, Cancellation));
        Assert.Null(await exports.RerunAsync(intruder, id, Cancellation));
        Assert.Null(await exports.GetDownloadAsync(intruder, id, 0, Cancellation));
        Assert.Null(await exports.GetAsync(intruder, Guid.NewGuid(), Cancellation));

        Assert.NotEqual(ExportStatus.Cancelled, (await portal.RowAsync(id)).Status);
        var denied = AuditEntries(id);
        Assert.All(denied, e => Assert.Contains($"Audit: {intruder.Id} was denied", e, StringComparison.Ordinal));
        Assert.Equal(
            ["View", "Cancel", "Delete", "Rerun", "Download"],
            denied.Select(e => e[(e.IndexOf(" was denied ", StringComparison.Ordinal) + 12)..].Split(' ')[0]));
    }
}
