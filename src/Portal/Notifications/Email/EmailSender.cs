using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Data;

namespace Portal.Notifications.Email;

/// <summary>
/// Sends the planned emails over SMTP (MailKit): claims due rows with a lease (one conditional <c>UPDATE</c>, so two
/// instances never send one row at once), sends each, marks it sent; a failure is recorded and tried again later with
/// backoff. SMTP has no idempotency: a crash between the send and the mark sends the row once more when its lease has
/// lapsed, with the same Message-ID. Without <see cref="EmailOptions.Host"/> it does nothing.
/// </summary>
public sealed partial class EmailSender(
    IDbContextFactory<PortalDbContext> dbFactory,
    IOptions<EmailOptions> options,
    DatabaseOutage outage,
    TimeProvider time,
    ILogger<EmailSender> logger) : BackgroundService
{
    /// <summary>The most rows one pass claims.</summary>
    public const int BatchSize = 20;

    public static SecureSocketOptions SocketOptionsFor(EmailSecurity security) => security switch
    {
        EmailSecurity.None => SecureSocketOptions.None,
        EmailSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.StartTls,
    };

    /// <summary>One pass: claims the due rows and sends them; returns how many were sent.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Sends)
        {
            return 0;
        }
        var claim = Guid.NewGuid().ToString("N");
        var leaseUntil = time.GetUtcNow() + settings.LeaseDuration;
        var rows = await ClaimAsync(claim, leaseUntil, cancellationToken);
        if (rows.Count == 0)
        {
            return 0;
        }

        var sent = 0;
        using var smtp = new SmtpClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        try
        {
            await smtp.ConnectAsync(settings.Host!, settings.EffectivePort, SocketOptionsFor(settings.Security), cancellationToken);
            if (!string.IsNullOrEmpty(settings.UserName))
            {
                await smtp.AuthenticateAsync(settings.UserName, settings.Password ?? "", cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogConnectFailed(logger, settings.Host!, ex);
            foreach (var row in rows)
            {
                await FailAsync(row, claim, ex, permanent: false);
            }
            return 0;
        }

        foreach (var row in rows)
        {
            // A send must end inside the lease, or another instance could claim the row meanwhile.
            if (time.GetUtcNow() + settings.Timeout >= leaseUntil)
            {
                await ReleaseAsync(row, claim);
                continue;
            }
            try
            {
                await smtp.SendAsync(Compose(row, settings), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSendFailed(logger, row.Id, row.Attempts, ex);
                await FailAsync(row, claim, ex, IsPermanent(ex));
                if (!smtp.IsConnected)
                {
                    // The rest wait for the next pass, their claim undone.
                    foreach (var rest in rows.SkipWhile(r => r != row).Skip(1))
                    {
                        await ReleaseAsync(rest, claim);
                    }
                    return sent;
                }
                continue;
            }
            await MarkSentAsync(row, claim, cancellationToken);
            sent++;
        }
        await smtp.DisconnectAsync(quit: true, CancellationToken.None);
        return sent;
    }

    internal static MimeMessage Compose(EmailMessage row, EmailOptions settings)
    {
        var message = new MimeMessage
        {
            MessageId = row.MessageId,
            Subject = row.Subject,
            Body = new TextPart("plain") { Text = row.Body },
        };
        message.From.Add(MailboxAddress.Parse(settings.From ?? ""));
        message.To.Add(MailboxAddress.Parse(row.To));
        message.Headers.Add("Auto-Submitted", "auto-generated");
        return message;
    }

    private async Task<List<EmailMessage>> ClaimAsync(string claim, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var maxAttempts = options.Value.MaxAttempts;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var due = await db.EmailMessages
            .Where(m => m.State == EmailState.Pending && m.NextAttemptAt <= now && m.Attempts < maxAttempts && (m.LeaseUntil == null || m.LeaseUntil <= now))
            .OrderBy(m => m.Id)
            .Select(m => m.Id)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return [];
        }
        // The same conditions again in the UPDATE: a row another instance claimed meanwhile is not taken.
        await db.EmailMessages
            .Where(m => due.Contains(m.Id) && m.State == EmailState.Pending && (m.LeaseUntil == null || m.LeaseUntil <= now))
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.LeaseOwner, claim)
                .SetProperty(m => m.LeaseUntil, leaseUntil)
                .SetProperty(m => m.Attempts, m => m.Attempts + 1)
                .SetProperty(m => m.LastAttemptAt, now), cancellationToken);
        return await db.EmailMessages.AsNoTracking().Where(m => m.LeaseOwner == claim).OrderBy(m => m.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// The email went out: while the database is away this is tried again (the host stopping ends it) rather than
    /// left to the lease, whose lapse would send the email a second time.
    /// </summary>
    private async Task MarkSentAsync(EmailMessage row, string claim, CancellationToken cancellationToken)
    {
        var pause = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await MarkSentOnceAsync(row, claim);
                return;
            }
            catch (Exception ex) when (outage.Failed(ex, "the email sender") && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(pause, time, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task MarkSentOnceAsync(EmailMessage row, string claim)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.EmailMessages.Where(m => m.Id == row.Id && m.LeaseOwner == claim)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.State, EmailState.Sent)
                .SetProperty(m => m.SentAt, now)
                .SetProperty(m => m.LastError, (string?)null)
                .SetProperty(m => m.LeaseOwner, (string?)null)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    private async Task FailAsync(EmailMessage row, string claim, Exception error, bool permanent)
    {
        var settings = options.Value;
        var giveUp = permanent || row.Attempts >= settings.MaxAttempts;
        var next = time.GetUtcNow() + RetryDelay(row.Attempts, settings);
        var message = Truncate($"{error.GetType().Name}: {error.Message}", 1000);
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.EmailMessages.Where(m => m.Id == row.Id && m.LeaseOwner == claim)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.State, giveUp ? EmailState.Failed : EmailState.Pending)
                .SetProperty(m => m.NextAttemptAt, next)
                .SetProperty(m => m.LastError, message)
                .SetProperty(m => m.LeaseOwner, (string?)null)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    /// <summary>Undoes a claim that was not tried: the attempt it counted did not happen.</summary>
    private async Task ReleaseAsync(EmailMessage row, string claim)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        await db.EmailMessages.Where(m => m.Id == row.Id && m.LeaseOwner == claim)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Attempts, m => m.Attempts - 1)
                .SetProperty(m => m.LeaseOwner, (string?)null)
                .SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
    }

    /// <summary>The wait after attempt <paramref name="attempts"/> failed: doubling from the first delay, capped.</summary>
    public static TimeSpan RetryDelay(int attempts, EmailOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(settings.RetryDelay.Ticks * factor, settings.RetryDelayCap.Ticks));
        return delay;
    }

    /// <summary>A mailbox the server refuses for good: trying again would not help.</summary>
    private static bool IsPermanent(Exception ex) =>
        ex is SmtpCommandException { ErrorCode: SmtpErrorCode.RecipientNotAccepted } command && (int)command.StatusCode >= 500;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Sends)
        {
            LogNotConfigured(logger);
            return;
        }
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await SendDueAsync(stoppingToken) == BatchSize)
                {
                }
                outage.Succeeded("the email sender");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows keep their state; the next pass tries again. The database away is logged once per outage.
                if (!outage.Failed(ex, "the email sender"))
                {
                    LogPassFailed(logger, ex);
                }
            }
            try
            {
                await Task.Delay(options.Value.SendInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Notifications:Email:Host is not set: the portal sends no email")]
    private static partial void LogNotConfigured(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "Could not connect to the mail server {Host}; the emails are tried again later")]
    private static partial void LogConnectFailed(ILogger logger, string host, Exception ex);

    [LoggerMessage(LogLevel.Warning, "Sending email {EmailId} failed (attempt {Attempt})")]
    private static partial void LogSendFailed(ILogger logger, long emailId, int attempt, Exception ex);

    [LoggerMessage(LogLevel.Error, "An email pass failed; retrying after the send interval")]
    private static partial void LogPassFailed(ILogger logger, Exception ex);
}
