using System.Net;
using Portal.Exports;
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
        await EngineTestHost.WaitUntilAsync(() => { lock (changes) { return changes.Exists(c => c.Deleted); } }, "the delete was pushed");

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

}
