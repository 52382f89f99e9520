using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;

namespace Portal.Notifications.Email;

/// <summary>How email delivery has been doing, for the admins' dashboard.</summary>
public sealed record EmailHealth(bool Sends, int Sent, int Failed, int Retrying, int Kept);

/// <summary>An email as <c>/dev/mail</c> shows it.</summary>
public sealed record EmailView(long Id, Guid ExportId, string To, string Subject, string Body, string Link, EmailState State,
    DateTimeOffset CreatedAt, DateTimeOffset? SentAt, int Attempts, string? LastError);

public interface IEmailQueries
{
    /// <summary>Counts since <paramref name="since"/>: sent, given up, waiting to be tried again, kept without a mail server.</summary>
    Task<EmailHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken = default);

    /// <summary>The newest emails first (Development's <c>/dev/mail</c>).</summary>
    Task<IReadOnlyList<EmailView>> GetLatestAsync(int max, CancellationToken cancellationToken = default);
}

public sealed class EmailQueries(IDbContextFactory<PortalDbContext> dbFactory, IOptions<EmailOptions> options) : IEmailQueries
{
    public async Task<EmailHealth> GetHealthAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await db.EmailMessages
            .Where(m => m.CreatedAt >= since || m.SentAt >= since || m.LastAttemptAt >= since)
            .GroupBy(m => new { m.State, Retrying = m.LastError != null })
            .Select(g => new { g.Key.State, g.Key.Retrying, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Count(EmailState state, bool? retrying = null) =>
            counts.Where(c => c.State == state && (retrying is null || c.Retrying == retrying)).Sum(c => c.Count);
        return new EmailHealth(options.Value.Sends, Count(EmailState.Sent), Count(EmailState.Failed), Count(EmailState.Pending, retrying: true), Count(EmailState.Kept));
    }

    public async Task<IReadOnlyList<EmailView>> GetLatestAsync(int max, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.EmailMessages.AsNoTracking()
            .OrderByDescending(m => m.Id)
            .Take(Math.Clamp(max, 1, 500))
            .Select(m => new EmailView(m.Id, m.ExportId, m.To, m.Subject, m.Body, m.Link, m.State, m.CreatedAt, m.SentAt, m.Attempts, m.LastError))
            .ToListAsync(cancellationToken);
    }
}
