using System.ComponentModel.DataAnnotations;
using MailKit.Security;
using Portal.Data;
using Portal.Exports;
using Portal.Notifications.Email;

namespace Portal.Tests.Notifications;

public class EmailRulesTests
{
    [Theory]
    [InlineData(ExportEmails.Off, 0, false)]
    [InlineData(ExportEmails.Off, 600, false)]
    [InlineData(ExportEmails.WhenSlow, 30, false)]
    [InlineData(ExportEmails.WhenSlow, 119, false)]
    [InlineData(ExportEmails.WhenSlow, 120, true)]
    [InlineData(ExportEmails.WhenSlow, 3600, true)]
    [InlineData(ExportEmails.Always, 1, true)]
    public void AnOwnExportIsMailedAsTheExportsSettingSays(ExportEmails setting, int openSeconds, bool expected)
    {
        Assert.Equal(expected, EmailDecision.Wants(setting, forSchedules: true, isScheduledRun: false, TimeSpan.FromSeconds(openSeconds)));
    }

    [Theory]
    [InlineData(ExportEmails.Off, true, true)]
    [InlineData(ExportEmails.Always, false, false)]
    [InlineData(ExportEmails.WhenSlow, true, true)]
    public void AScheduledRunIsMailedAsTheSchedulesSettingSaysHoweverQuickItWas(ExportEmails exports, bool schedules, bool expected)
    {
        Assert.Equal(expected, EmailDecision.Wants(exports, schedules, isScheduledRun: true, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(ExportStatus.InProgress, ExportStatus.Completed, false, true)]
    [InlineData(ExportStatus.InProgress, ExportStatus.Failed, false, true)]
    [InlineData(ExportStatus.Submitted, ExportStatus.TimedOut, false, true)]
    [InlineData(ExportStatus.Queued, ExportStatus.Unconfirmed, false, true)]
    [InlineData(ExportStatus.Completed, ExportStatus.Completed, false, false)]
    [InlineData(ExportStatus.InProgress, ExportStatus.Cancelled, false, false)]
    [InlineData(ExportStatus.Completed, ExportStatus.Expired, false, false)]
    [InlineData(ExportStatus.Submitted, ExportStatus.InProgress, false, false)]
    [InlineData(ExportStatus.InProgress, ExportStatus.Completed, true, false)]
    public void OnlyAChangeIntoAnOutcomeOfALiveRequestEndsAnExport(ExportStatus from, ExportStatus to, bool deleted, bool expected)
    {
        var change = new ExportChanged(Guid.NewGuid(), "alice", from, to, DateTimeOffset.UnixEpoch, null, null, 0, Deleted: deleted);
        Assert.Equal(expected, EmailDecision.EndsExport(change));
    }

    [Fact]
    public void ACompletedExportsEmailSaysWhatWasExportedAndLinksOnlyToItsPage()
    {
        var request = Request(ExportStatus.Completed);
        request.RowCount = 288000;
        request.Files.Add(new ExportFile { Part = 0, Name = "part-00000.csv", Url = "https://files.test/results/x/part-00000.csv?X-Amz-Signature=abc&token=secret" });

        var email = ExportEmail.Compose(request, ExportStatus.Completed, "https://portal.example.test/", isScheduledRun: false);

        // A request stored before exports had names is mailed under its default name, in UTC.
        Assert.Equal("Your export \u201cCSV · 27 Nov 00:00 – 28 Nov 00:00 UTC\u201d is ready", email.Subject);
        Assert.Equal($"https://portal.example.test/exports/{request.Id}", email.Link);
        Assert.Contains("device statuses from 2026-11-27 00:00 to 2026-11-28 00:00 UTC as CSV is ready: 288,000 rows in 1 file.", email.Body, StringComparison.Ordinal);
        Assert.Contains($"Open it in the portal: https://portal.example.test/exports/{request.Id}", email.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("files.test", email.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", email.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAdminsCancelIsEmailedAndSentToWebhooksWithWhoCancelledAndWhy()
    {
        var detail = CancelReason.Detail("Ada Admin", "The range is too large");
        var byAdmin = new ExportChanged(Guid.NewGuid(), "alice", ExportStatus.InProgress, ExportStatus.Cancelled, DateTimeOffset.UnixEpoch, detail, null, 0);
        var byOwner = byAdmin with { Detail = "Tracking stopped." };
        var request = Request(ExportStatus.Cancelled);

        var email = ExportEmail.Compose(request, ExportStatus.Cancelled, "https://portal.example.test", isScheduledRun: false, detail);
        var webhook = Portal.Webhooks.WebhookExportData.From(request, byAdmin, null);
        var ownWebhook = Portal.Webhooks.WebhookExportData.From(request, byOwner, null);

        Assert.True(EmailDecision.EndsExport(byAdmin));
        Assert.False(EmailDecision.EndsExport(byOwner));
        Assert.Equal("Your CSV export was cancelled", email.Subject);
        Assert.Contains("was cancelled by Ada Admin. Reason: The range is too large. You can re-run it", email.Body, StringComparison.Ordinal);
        Assert.Equal(("The range is too large", detail), (webhook.Reason, webhook.Detail));
        Assert.Contains("\"reason\":\"The range is too large\"", new Portal.Webhooks.WebhookEvent("export.cancelled", DateTimeOffset.UnixEpoch, webhook).ToJson(), StringComparison.Ordinal);
        Assert.Equal((null, null), (ownWebhook.Reason, ownWebhook.Detail));
    }

    [Theory]
    [InlineData(ExportStatus.Failed, "Your export \u201cFleet, Monday\u201d failed", "failed: The time range has no data.")]
    [InlineData(ExportStatus.TimedOut, "Your export \u201cFleet, Monday\u201d took too long", "the portal stopped waiting")]
    [InlineData(ExportStatus.Unconfirmed, "Your export \u201cFleet, Monday\u201d needs a decision", "did not confirm it")]
    public void EachOutcomeIsSaidInPlainWords(ExportStatus outcome, string subject, string words)
    {
        var request = Request(outcome);
        request.Name = "Fleet, Monday";
        request.LastError = "The time range has no data";

        var email = ExportEmail.Compose(request, outcome, "https://portal.example.test", isScheduledRun: false);

        Assert.Equal(subject, email.Subject);
        Assert.Contains(words, email.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void ANamedExportsEmailNamesItInTheSubjectAndTheBody()
    {
        var request = Request(ExportStatus.Completed);
        request.Name = "Weekly fleet report";

        var email = ExportEmail.Compose(request, ExportStatus.Completed, "https://portal.example.test", isScheduledRun: true);

        Assert.Equal("Your scheduled export \u201cWeekly fleet report\u201d is ready", email.Subject);
        Assert.Contains("Your scheduled export \u201cWeekly fleet report\u201d of device statuses from 2026-11-27 00:00", email.Body, StringComparison.Ordinal);
    }

    [Fact]
    public void RetriesWaitLongerEachTimeUpToTheCap()
    {
        var options = new EmailOptions { RetryDelay = TimeSpan.FromSeconds(30), RetryDelayCap = TimeSpan.FromMinutes(5) };

        Assert.Equal(
            [TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(240), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5)],
            Enumerable.Range(1, 6).Select(attempt => EmailSender.RetryDelay(attempt, options)));
    }

    [Theory]
    [InlineData(EmailSecurity.None, SecureSocketOptions.None, 25)]
    [InlineData(EmailSecurity.StartTls, SecureSocketOptions.StartTls, 587)]
    [InlineData(EmailSecurity.SslOnConnect, SecureSocketOptions.SslOnConnect, 465)]
    public void EachSecurityModeConnectsAsItSaysOnItsUsualPort(EmailSecurity security, SecureSocketOptions expected, int port)
    {
        Assert.Equal(expected, EmailSender.SocketOptionsFor(security));
        Assert.Equal(port, new EmailOptions { Security = security }.EffectivePort);
    }

    [Fact]
    public void AHostWithoutSenderOrPortalUrlIsRefusedWithTheSettingsToFix()
    {
        var errors = Validate(new EmailOptions { Host = "smtp.example.test", From = "not an address", UserName = "mailer" });

        Assert.Contains(errors, e => e.Contains("Notifications:Email:From", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("Notifications:Email:PortalUrl is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("UserName and Password go together", StringComparison.Ordinal));
        Assert.Empty(Validate(new EmailOptions()));
        Assert.Empty(Validate(new EmailOptions { Host = "smtp.example.test", From = "Exports <exports@example.test>", PortalUrl = "https://portal.example.test" }));
    }

    private static List<string> Validate(EmailOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage ?? "")];
    }

    private static ExportRequest Request(ExportStatus status) => new()
    {
        Id = Guid.NewGuid(),
        OwnerId = "alice",
        OwnerName = "Alice",
        Format = FileFormat.Csv,
        Status = status,
        RangeFrom = new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero),
        RangeTo = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero),
    };
}
