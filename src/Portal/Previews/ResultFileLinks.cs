using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Downloads;
using Portal.Exports;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Previews;

/// <summary>A completed export's files with links fresh enough to use now.</summary>
public sealed record ResultFileSet(Guid ExportId, FileFormat Format, DateTimeOffset RangeFrom, IReadOnlyList<ResultFileLink> Files);

/// <summary>A part of the export, named as the portal serves it (<see cref="ResultFileNames"/>).</summary>
public sealed record ResultFileLink(int Part, string Name, Uri Url, long? SizeBytes);

/// <summary>
/// The files of an export for its owner or an admin (anyone else: not found, audited), their links renewed from the
/// upstream's status when about to expire, and their sizes remembered once learned.
/// </summary>
public sealed class ResultFileLinks(
    IDbContextFactory<PortalDbContext> dbFactory,
    DeviceStatusClient client,
    ExportAccess access,
    TimeProvider time,
    IOptions<ExportsOptions> options)
{
    /// <returns>Null when the export is not the user's to see or has no files (it is not completed, or no longer kept).</returns>
    public async Task<ResultFileSet?> GetAsync(ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var request = await ExportAccess.VisibleTo(db.ExportRequests, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (request is null)
        {
            await access.NotFoundAsync(db, user, id, operation, cancellationToken);
            return null;
        }

        if (request is not { Status: ExportStatus.Completed, RequestUuid: { } uuid } || request.Files.Count == 0)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (request.Files.Any(f => f.UrlExpiresAt - now < options.Value.RenewLinksBefore))
        {
            if (await client.GetStatusAsync(uuid, cancellationToken) is StatusResult.Found { Status: { State: UpstreamState.Completed } fresh })
            {
                UpstreamAnswers.StoreFiles(request, fresh, time.GetUtcNow());
                await db.SaveChangesAsync(cancellationToken);
            }
            else if (request.Files.Any(f => f.UrlExpiresAt <= time.GetUtcNow()))
            {
                return null;
            }
        }

        return new ResultFileSet(request.Id, request.Format, request.RangeFrom,
            [.. request.Files.OrderBy(f => f.Part).Select(f => new ResultFileLink(f.Part, ResultFileNames.For(request.Format, request.Range, f.Name, f.Part), new Uri(f.Url), f.SizeBytes))]);
    }

    /// <summary>Sizes of the export's files that are known, by part, scoped like <see cref="GetAsync"/>.</summary>
    public async Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ExportAccess.VisibleTo(db.ExportRequests, user).Where(e => e.Id == id).SelectMany(e => e.Files).ToDictionaryAsync(f => f.Part, f => f.SizeBytes, cancellationToken);
    }

    public async Task StoreSizeAsync(Guid id, int part, long size, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ExportFiles.Where(f => f.ExportId == id && f.Part == part && f.SizeBytes != size)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.SizeBytes, size), cancellationToken);
    }
}
