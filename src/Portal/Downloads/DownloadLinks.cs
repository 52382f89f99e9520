using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Security;
using Portal.Upstream;

namespace Portal.Downloads;

/// <summary>A completed export's files with links fresh enough to use now.</summary>
public sealed record ResultFileSet(Guid ExportId, FileFormat Format, DateTimeOffset RangeFrom, IReadOnlyList<ResultFileLink> Files);

/// <summary>A part of the export, named as the portal serves it (<see cref="ResultFileNames"/>).</summary>
public sealed record ResultFileLink(int Part, string Name, Uri Url, long? SizeBytes);

/// <summary>Fresh links to the files of completed requests, for downloads, previews and the zip of all parts.</summary>
public interface IDownloadLinks
{
    /// <summary>
    /// A link to part <paramref name="part"/> valid now (re-asking upstream when needed), recorded as a download in
    /// the request's timeline; null when not found or no longer available.
    /// </summary>
    Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every file of the export with a link valid now, for <paramref name="operation"/> (a preview, the zip): renewed
    /// like a download's, not recorded in the timeline.
    /// </summary>
    /// <returns>Null when the export is not the user's to see or has no files (it is not completed, or no longer kept).</returns>
    Task<ResultFileSet?> GetFilesAsync(ExportUser user, Guid id, string operation, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="GetFilesAsync"/> with every link asked for again upstream, whatever its stored expiry: for a link the
    /// file host refused (expired or revoked before its time).
    /// </summary>
    Task<ResultFileSet?> RenewFilesAsync(ExportUser user, Guid id, string operation, CancellationToken cancellationToken = default);

    /// <summary>Sizes of the export's files that are known, by part, scoped like <see cref="GetFilesAsync"/>.</summary>
    Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default);

    Task StoreSizeAsync(Guid id, int part, long size, CancellationToken cancellationToken = default);
}

/// <summary>
/// The one renewal of result-file links. The files of an export are handed to whoever may read it
/// (<see cref="ResourceAccess"/>: its owner, its team's members, colleagues it is shared with, admins; anyone else: not
/// found, audited); links about to expire are renewed from the upstream's status, and an export the upstream no
/// longer keeps turns <see cref="ExportStatus.Expired"/>. The row is saved under its version, so a change made
/// meanwhile (by the tracker, a user, another instance) makes it read the row and ask again, up to three times.
/// </summary>
public sealed class DownloadLinks(
    IDbContextFactory<PortalDbContext> dbFactory,
    DeviceStatusClient client,
    ExportProgress progress,
    ExportAccess access,
    IExportOutbox outbox,
    TimeProvider time,
    IOptions<ExportsOptions> options) : IDownloadLinks
{
    // Every download notes itself under the row's version, so downloads started together (a zip, a script, a delivery)
    // meet each other's saves: each conflict waits a short random while, so they line up rather than collide again.
    private const int MaxAttempts = 12;

    public async Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        var request = await RenewAsync(user, id, "Download", part, renewAll: false, cancellationToken);
        var file = request?.Files.FirstOrDefault(f => f.Part == part);
        return request is null || file is null
            ? null
            : new DownloadLink(new Uri(file.Url), file.UrlExpiresAt, NamesOf(request)[file.Part]);
    }

    public Task<ResultFileSet?> GetFilesAsync(ExportUser user, Guid id, string operation, CancellationToken cancellationToken = default) =>
        FilesAsync(user, id, operation, renewAll: false, cancellationToken);

    public Task<ResultFileSet?> RenewFilesAsync(ExportUser user, Guid id, string operation, CancellationToken cancellationToken = default) =>
        FilesAsync(user, id, operation, renewAll: true, cancellationToken);

    private async Task<ResultFileSet?> FilesAsync(ExportUser user, Guid id, string operation, bool renewAll, CancellationToken cancellationToken)
    {
        var request = await RenewAsync(user, id, operation, downloadedPart: null, renewAll, cancellationToken);
        return request is null
            ? null
            : new ResultFileSet(request.Id, request.Format, request.RangeFrom,
                [.. request.Files.OrderBy(f => f.Part).Select(f => new ResultFileLink(f.Part, NamesOf(request)[f.Part], new Uri(f.Url), f.SizeBytes))]);
    }

    private static IReadOnlyDictionary<int, string> NamesOf(ExportRequest request) =>
        ResultFileNames.ForAll(request.Format, request.Range, request.Files.Select(f => (f.Part, (string?)f.Name)));

    public async Task<IReadOnlyDictionary<int, long?>> SizesAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ResourceAccess.ReadableExports(db, user).Where(e => e.Id == id).SelectMany(e => e.Files).ToDictionaryAsync(f => f.Part, f => f.SizeBytes, cancellationToken);
    }

    public async Task StoreSizeAsync(Guid id, int part, long size, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.ExportFiles.Where(f => f.ExportId == id && f.Part == part && f.SizeBytes != size)
            .ExecuteUpdateAsync(s => s.SetProperty(f => f.SizeBytes, size), cancellationToken);
    }

    /// <summary>
    /// The completed request with links to its files (only <paramref name="downloadedPart"/>, when given) valid now,
    /// saved; a download is noted in its timeline. Null when not visible, not completed, without that file, expired,
    /// or still changing after <see cref="MaxAttempts"/> reads.
    /// </summary>
    private async Task<ExportRequest?> RenewAsync(ExportUser user, Guid id, string operation, int? downloadedPart, bool renewAll, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ResourceAccess.ReadableExports(db, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await access.NotFoundAsync(db, user, id, operation, cancellationToken);
                return null;
            }
            List<ExportFile> files = [.. request.Files.Where(f => downloadedPart is not { } part || f.Part == part)];
            if (request is not { Status: ExportStatus.Completed, RequestUuid: { } uuid } || files.Count == 0)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var expired = false;
            if (renewAll || files.Any(f => f.UrlExpiresAt - now < options.Value.RenewLinksBefore))
            {
                StatusResult status;
                using (UpstreamCallScope.ForUser())
                {
                    status = await client.GetStatusAsync(uuid, cancellationToken);
                }
                now = time.GetUtcNow();
                switch (status)
                {
                    case StatusResult.Found { Status: { State: UpstreamState.Completed } fresh }:
                        ResultFileUrls.Store(request, fresh, now);
                        break;
                    case StatusResult.NotFound:
                        request.LastError = "The device platform no longer keeps the files of this export.";
                        progress.Transition(db, request, ExportStatus.Expired, ExportProgress.UpstreamActor, request.LastError, now);
                        expired = true;
                        break;
                    default:
                        if (files.Any(f => f.UrlExpiresAt <= now))
                        {
                            return null;
                        }
                        break;
                }
            }

            if (!expired && downloadedPart is not null)
            {
                ExportProgress.Note(db, request, user.Name, $"Downloaded {files[0].Name}.", now);
            }
            var changed = db.ChangeTracker.HasChanges();
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * (attempt + 2))), cancellationToken);
                continue;
            }

            if (changed)
            {
                outbox.Wake();
            }
            return expired ? null : request;
        }
        return null;
    }
}
