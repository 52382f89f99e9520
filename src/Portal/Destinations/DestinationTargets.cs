using Microsoft.EntityFrameworkCore;
using Portal.Data;

namespace Portal.Destinations;

/// <summary>Loads a destination for a writer, its credential decrypted.</summary>
public sealed class DestinationTargets(IDbContextFactory<PortalDbContext> dbFactory, DestinationSecrets secrets)
{
    /// <summary>Null when the destination was deleted.</summary>
    public async Task<DestinationTarget?> LoadAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destination = await db.Destinations.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return destination is null ? null : Target(destination);
    }

    internal DestinationTarget Target(Destination destination) =>
        new(destination.Id, destination.Kind, destination.Settings, secrets.Reveal(destination.ProtectedSecret));
}
