using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications.Email;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Notifications;

/// <summary>The email channel on the outbox, over SQLite and a real SMTP server: planned once per change, sent once per row.</summary>
public class EmailDeliveryTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AChangeSavedBeforeTheProcessWasGoneIsMailedOnceByTheNextHost()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        var file = DatabaseFile();
        Guid id;
        await using (var first = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file))
        {
            await Settings(first).SaveAsync(EngineTestHost.Alice, ExportEmails.Always, schedules: true, Cancellation);
            id = await CompleteAsync(first, EngineTestHost.Alice);
            // Gone here: the change is saved, nothing was dispatched, planned or sent.
        }

        await using var second = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file);
        await second.DispatchAsync();
        Assert.Equal(1, await Sender(second).SendDueAsync(Cancellation));
        Assert.Equal(0, await Sender(second).SendDueAsync(Cancellation));
        await second.DispatchAsync();

        var message = Assert.Single(smtp.Messages);
        Assert.Equal("alice@example.test", Assert.Single(message.To.Mailboxes).Address);
        Assert.Contains($"/exports/{id}", message.TextBody, StringComparison.Ordinal);
        var row = Assert.Single(await EmailsAsync(second));
        Assert.Equal(EmailState.Sent, row.State);
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task AnEmailPlannedButNotSentBeforeTheProcessWasGoneIsSentOnceByTheNextHost()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        var file = DatabaseFile();
        await using (var first = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file))
        {
            await Settings(first).SaveAsync(EngineTestHost.Alice, ExportEmails.Always, schedules: true, Cancellation);
            await CompleteAsync(first, EngineTestHost.Alice);
            await first.DispatchAsync();
            Assert.Equal(EmailState.Pending, Assert.Single(await EmailsAsync(first)).State);
        }

        await using var second = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file);
        await second.DispatchAsync();
        Assert.Equal(1, await Sender(second).SendDueAsync(Cancellation));
        Assert.Equal(0, await Sender(second).SendDueAsync(Cancellation));

        Assert.Single(smtp.Messages);
        Assert.Equal(EmailState.Sent, Assert.Single(await EmailsAsync(second)).State);
    }

    [Fact]
    public async Task ASendWhoseAnswerWasLostIsSentAgainWithTheSameMessageIdAndThenNoMore()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var host = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp));
        await Settings(host).SaveAsync(EngineTestHost.Alice, ExportEmails.Always, schedules: true, Cancellation);
        await CompleteAsync(host, EngineTestHost.Alice);
        await host.DispatchAsync();
        smtp.FailNext(1);

        Assert.Equal(0, await Sender(host).SendDueAsync(Cancellation));
        var failed = Assert.Single(await EmailsAsync(host));
        Assert.Equal(EmailState.Pending, failed.State);
        Assert.Contains("try again later", failed.LastError, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await Sender(host).SendDueAsync(Cancellation) == 1, "the retry to be sent after its delay");
        Assert.Equal(0, await Sender(host).SendDueAsync(Cancellation));

        Assert.Equal(2, smtp.Messages.Count);
        Assert.Equal(smtp.Messages[0].MessageId, smtp.Messages[1].MessageId);
        var sent = Assert.Single(await EmailsAsync(host));
        Assert.Equal(EmailState.Sent, sent.State);
        Assert.Equal(2, sent.Attempts);
    }

    [Fact]
    public async Task OffMailsNothingAndTheDefaultMailsOnlyExportsStillOpenAfterTwoMinutes()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        await using var host = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp));
        await Settings(host).SaveAsync(EngineTestHost.Alice, ExportEmails.Off, schedules: true, Cancellation);

        await CompleteAsync(host, EngineTestHost.Alice, openFor: TimeSpan.FromMinutes(10));
        await CompleteAsync(host, EngineTestHost.Bob, openFor: TimeSpan.FromSeconds(30));
        var slow = await CompleteAsync(host, EngineTestHost.Bob, openFor: TimeSpan.FromMinutes(3));
        await host.DispatchAsync();
        await Sender(host).SendDueAsync(Cancellation);

        var row = Assert.Single(await EmailsAsync(host));
        Assert.Equal(slow, row.ExportId);
        var message = Assert.Single(smtp.Messages);
        Assert.Equal("bob@example.test", Assert.Single(message.To.Mailboxes).Address);
    }

    [Fact]
    public async Task TwoSendersOnOneDatabaseSendEachEmailOnce()
    {
        await using var smtp = await SmtpTestServer.StartAsync();
        var file = DatabaseFile();
        await using var a = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file);
        await using var b = await EngineTestHost.StartAsync(new StubUpstream(), Settings(smtp), databaseFile: file);
        await Settings(a).SaveAsync(EngineTestHost.Alice, ExportEmails.Always, schedules: true, Cancellation);
        for (var i = 0; i < 6; i++)
        {
            await CompleteAsync(a, EngineTestHost.Alice);
        }
        await a.DispatchAsync();

        await Task.WhenAll(SendRepeatedlyAsync(a), SendRepeatedlyAsync(b));

        Assert.Equal(6, smtp.Messages.Count);
        Assert.Equal(6, smtp.Messages.Select(m => m.MessageId).Distinct().Count());
        Assert.All(await EmailsAsync(a), row => Assert.Equal((EmailState.Sent, 1), (row.State, row.Attempts)));
    }

    private static async Task SendRepeatedlyAsync(EngineTestHost host)
    {
        for (var i = 0; i < 5; i++)
        {
            await Sender(host).SendDueAsync(Cancellation);
        }
    }

    private static int _lastDay;

    /// <summary>Submits for <paramref name="user"/> and follows the request to Completed; it was requested <paramref name="openFor"/> ago.</summary>
    private static async Task<Guid> CompleteAsync(EngineTestHost host, ExportUser user, TimeSpan? openFor = null)
    {
        // A day of its own: the same range asked again within seconds is the same export by design.
        var outcome = await host.Exports().SubmitAsync(user, EngineTestHost.Day(2 + Interlocked.Increment(ref _lastDay) % 298), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await host.TrackAsync();
        var uuid = (await host.RowAsync(id)).RequestUuid!;
        host.Upstream.EnqueueGet(_ => StubUpstream.Json(HttpStatusCode.OK, StubUpstream.Completed(uuid, DateTimeOffset.UtcNow.AddMinutes(15))));
        await host.UpdateAsync(id, e =>
        {
            e.NextPollAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            e.CreatedAt = DateTimeOffset.UtcNow - (openFor ?? TimeSpan.FromSeconds(5));
        });
        await host.TrackAsync();
        Assert.Equal(ExportStatus.Completed, (await host.RowAsync(id)).Status);
        return id;
    }

    private static Dictionary<string, string?> Settings(SmtpTestServer smtp) => new(smtp.Settings())
    {
        ["Exports:MaxSubmissionsPerMinute"] = "100",
    };

    private static UserSettingsStore Settings(EngineTestHost host) => host.Services.GetRequiredService<UserSettingsStore>();

    private static EmailSender Sender(EngineTestHost host) => host.Services.GetRequiredService<EmailSender>();

    private static async Task<List<EmailMessage>> EmailsAsync(EngineTestHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        return await db.EmailMessages.AsNoTracking().OrderBy(m => m.Id).ToListAsync(Cancellation);
    }

    private static string DatabaseFile()
    {
        var file = Path.Combine(Path.GetTempPath(), "portal-tests", Guid.NewGuid().ToString("N"), "portal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        return file;
    }
}
