using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Exports;
using Portal.Tracking;
using Portal.Upstream;

namespace Portal.Downloads;

/// <summary>Fresh download links for the files of completed requests.</summary>
public interface IDownloadLinks
{
    /// <summary>
    /// A link to part <paramref name="part"/> valid now (re-asking upstream when needed), recorded as a download in
    /// the request's timeline; null when not found or no longer available.
    /// </summary>
    Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default);
}

public sealed class DownloadLinks(
    IDbContextFactory<PortalDbContext> dbFactory,
    DeviceStatusClient client,
    ExportProgress progress,
    ExportAccess access,
    IExportOutbox outbox,
    TimeProvider time,
    IOptions<ExportsOptions> options) : IDownloadLinks
{
    public async Task<DownloadLink?> GetDownloadAsync(ExportUser user, Guid id, int part, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var request = await ExportAccess.VisibleTo(db.ExportRequests, user).Include(e => e.Files).SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
            if (request is null)
            {
                await access.NotFoundAsync(db, user, id, "Download", cancellationToken);
                return null;
            }
            var file = request.Files.FirstOrDefault(f => f.Part == part);
            if (request is not { Status: ExportStatus.Completed, RequestUuid: { } uuid } || file is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var expired = false;
            if (file.UrlExpiresAt - now < options.Value.RenewLinksBefore)
            {
                var status = await client.GetStatusAsync(uuid, cancellationToken);
                now = time.GetUtcNow();
                switch (status)
                {
                    case StatusResult.Found { Status: { State: UpstreamState.Completed } fresh }:
                        UpstreamAnswers.StoreFiles(request, fresh, now);
                        break;
                    case StatusResult.NotFound:
                        request.LastError = "The device platform no longer keeps the files of this export.";
                        progress.Transition(db, request, ExportStatus.Expired, ExportProgress.UpstreamActor, request.LastError, now);
                        expired = true;
                        break;
                    default:
                        if (file.UrlExpiresAt <= now)
                        {
                            return null;
                        }
                        break;
                }
            }

            if (!expired)
            {
                ExportProgress.Note(db, request, user.Name, $"Downloaded {file.Name}.", now);
            }
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                continue;
            }

            outbox.Wake();
            return expired ? null : new DownloadLink(new Uri(file.Url), file.UrlExpiresAt, ResultFileNames.For(request.Format, request.Range, file.Name, file.Part));
        }
        return null;
    }
}
