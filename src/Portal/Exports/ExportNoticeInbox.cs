using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Exports;

/// <summary>The bell: the user's notices of requests that ended or need a decision.</summary>
public interface IExportNoticeInbox
{
    Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default);

    Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default);
}

public sealed class ExportNoticeInbox(IDbContextFactory<PortalDbContext> dbFactory) : IExportNoticeInbox
{
    public async Task<IReadOnlyList<ExportNotice>> GetNoticesAsync(ExportUser user, int max, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ExportNotices
            .Where(n => n.OwnerId == user.Id)
            .OrderByDescending(n => n.At)
            .ThenByDescending(n => n.Id)
            .Take(Math.Clamp(max, 0, 500))
            .Select(n => new ExportNotice(n.Id, n.ExportId, n.Status, n.At, n.Text, n.Read))
            .ToListAsync(cancellationToken);
    }

    public async Task MarkNoticesReadAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ExportNotices
            .Where(n => n.OwnerId == user.Id && !n.Read)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.Read, true), cancellationToken);
    }
}
