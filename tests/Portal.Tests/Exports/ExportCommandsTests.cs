using System.Net;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportCommandsTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    [Fact]
    public async Task CancelDeleteAndRerunWorkForTheOwner()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Avro, Cancellation)).Id;

        Assert.True(await exports.CancelAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.False(await exports.CancelAsync(EngineTestHost.Alice, id, Cancellation));
        var rerun = Accepted((await exports.RerunAsync(EngineTestHost.Alice, id, Cancellation))!);
        var details = await exports.GetAsync(EngineTestHost.Alice, rerun.Id, Cancellation);
        var cancelled = await exports.GetAsync(EngineTestHost.Alice, id, Cancellation);

        Assert.Equal(ExportStatus.Cancelled, cancelled!.Summary.Status);
        Assert.Null((await host.RowAsync(id)).NextPollAt);
        Assert.Equal(id, details!.RerunOf);
        Assert.Equal(FileFormat.Avro, details.Summary.Format);
        Assert.True(await exports.DeleteAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.Null(await exports.GetAsync(EngineTestHost.Alice, id, Cancellation));
        Assert.Null((await exports.GetAsync(EngineTestHost.Alice, rerun.Id, Cancellation))!.RerunOf);
    }

    [Fact]
    public async Task DeletingAnOpenRequestCancelsItFirstAndIsPublished()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.TrackAsync();
        var changes = new List<ExportChanged>();
        using var subscription = host.Changes.Subscribe(change => { lock (changes) { changes.Add(change); } return Task.CompletedTask; });
        await host.DispatchAsync();

        Assert.True(await exports.DeleteAsync(EngineTestHost.Alice, id, Cancellation));
        await host.DispatchAsync();
        await Eventually.HoldsAsync(() => { lock (changes) { return changes.Exists(c => c.Deleted); } }, "the delete was pushed");

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Cancelled, row.Status);
        Assert.NotNull(row.DeletedAt);
        Assert.NotNull(row.RequestUuid);
        Assert.Equal(["Tracking stopped.", "Deleted."], row.Events.OrderBy(e => e.Id).TakeLast(2).Select(e => e.Detail));
        Assert.Null(await exports.GetAsync(EngineTestHost.Admin, id, Cancellation));
        Assert.Empty((await exports.ListAsync(EngineTestHost.Alice, new ExportQuery(), Cancellation)).Items);
        Assert.False(await exports.DeleteAsync(EngineTestHost.Alice, id, Cancellation));
        lock (changes)
        {
            Assert.Equal([("Tracking stopped.", true), ("Deleted.", true)], changes.TakeLast(2).Select(x => (x.Detail, x.Deleted)));
        }
    }

    [Fact]
    public async Task AnAdminsCancelTellsTheOwnerWhoCancelledAndWhyOnTheTimelineAndInTheBell()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        Assert.True(await exports.CancelAsync(EngineTestHost.Admin, id, "  The range is too large for this week.  ", Cancellation));

        var row = await host.RowAsync(id);
        Assert.Equal(ExportStatus.Cancelled, row.Status);
        var entry = row.Events.OrderBy(e => e.Id).Last();
        Assert.Equal(("Ada Admin", "Cancelled by Ada Admin. Reason: The range is too large for this week."), (entry.Actor, entry.Detail));
        var notice = Assert.Single(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation));
        Assert.Equal(ExportStatus.Cancelled, notice.Status);
        Assert.False(notice.Read);
        Assert.EndsWith("was cancelled by Ada Admin. Reason: The range is too large for this week.", notice.Text, StringComparison.Ordinal);
        Assert.Empty(await exports.GetNoticesAsync(EngineTestHost.Admin, 10, Cancellation));
    }

    [Fact]
    public async Task AnAdminsCancelWithoutAReasonStillNamesWhoCancelled()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        Assert.True(await exports.CancelAsync(EngineTestHost.Admin, id, "   ", Cancellation));

        Assert.EndsWith("was cancelled by Ada Admin.", Assert.Single(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheOwnersOwnCancelNeedsNoNotice()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        Assert.True(await exports.CancelAsync(EngineTestHost.Alice, id, Cancellation));

        Assert.Equal("Tracking stopped.", (await host.RowAsync(id)).Events.OrderBy(e => e.Id).Last().Detail);
        Assert.Empty(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation));
    }

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("a\ttab")]
    public async Task AReasonWithControlCharactersOrTooLongIsRefusedAndNothingChanges(string reason)
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        await Assert.ThrowsAsync<ArgumentException>(() => exports.CancelAsync(EngineTestHost.Admin, id, reason, Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => exports.CancelAsync(EngineTestHost.Admin, id, new string('x', CancelReason.MaxLength + 1), Cancellation));

        Assert.Equal(ExportStatus.Queued, (await host.RowAsync(id)).Status);
        Assert.Empty(await exports.GetNoticesAsync(EngineTestHost.Alice, 10, Cancellation));
    }
}
