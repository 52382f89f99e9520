using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Security;

namespace Portal.Exports;

/// <summary>An export's delivery to one destination as pages and the API show it.</summary>
public sealed record DeliveryInfo(
    long Id,
    Guid DestinationId,
    string DestinationName,
    string Kind,
    string Status,
    string? Error,
    IReadOnlyList<DeliveredFile> Files,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt);

/// <summary>A file written to a destination: the result file's name, where it was written, and its size.</summary>
public sealed record DeliveredFile(string Name, string Path, long Bytes);

/// <summary>Deliveries across users for the admin dashboard: destinations failing lately, and the last day's counts.</summary>
public sealed record DestinationHealth(IReadOnlyList<FailingDestination> Failing, int DeliveredLastDay, int FailedLastDay);

public sealed record FailingDestination(Guid Id, string Name, string Kind, string Owner, int Failed, string? LastError, DateTimeOffset? LastFailedAt);

/// <summary>
/// Deliveries of exports to destinations: checking the ids a submission names, adding their rows with the export, and
/// reading them for pages, the API and the admin dashboard. The worker that delivers is in <c>Destinations</c>.
/// </summary>
public sealed class ExportDeliveries(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The most destinations one export (or schedule) delivers to.</summary>
    public const int MaxPerExport = 10;

    /// <summary>The field a problem with the destinations is reported under.</summary>
    public const string Field = "destinations";

    /// <summary>A destination that was deleted: what its waiting deliveries fail with.</summary>
    public const string DeletedMessage = "The destination was deleted.";

    /// <summary>The API's name of a destination kind.</summary>
    public static string KindName(DestinationKind kind) => kind == DestinationKind.AzureBlob ? "azure-blob" : "sftp";

    /// <summary>
    /// Problems with the destinations <paramref name="ownerId"/> names for an export of <paramref name="team"/> (null: their
    /// own): a team's export is delivered to the team's destinations only, a person's export to their own personal ones
    /// only (<see cref="ResourceAccess.BelongsWith"/>). Any other destination is not found, as an unknown one is.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string[]>> CheckAsync(
        PortalDbContext db, string ownerId, string? team, IReadOnlyList<Guid>? destinations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (destinations is not { Count: > 0 })
        {
            return new Dictionary<string, string[]>();
        }
        if (destinations.Distinct().Count() > MaxPerExport)
        {
            return new Dictionary<string, string[]> { [Field] = [$"An export is delivered to at most {MaxPerExport} destinations."] };
        }
        var ids = destinations.Distinct().ToList();
        var owned = await ResourceAccess.UsableBy(db.Destinations, ownerId, team)
            .Where(d => ids.Contains(d.Id))
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        var missing = ids.Where(id => !owned.Contains(id)).Select(id => $"Destination {id} was not found.").ToArray();
        return missing.Length == 0 ? new Dictionary<string, string[]>() : new Dictionary<string, string[]> { [Field] = missing };
    }

    /// <summary>
    /// Adds a <see cref="DeliveryStatus.Pending"/> delivery per destination of a new export to <paramref name="db"/>, saved with
    /// the export; the worker takes them once it completes.
    /// </summary>
    public static void AddPending(PortalDbContext db, Guid exportId, IReadOnlyList<Guid>? destinations, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (var destination in (destinations ?? []).Distinct())
        {
            db.ExportDeliveries.Add(new ExportDelivery
            {
                ExportId = exportId,
                DestinationId = destination,
                Status = DeliveryStatus.Pending,
                CreatedAt = now,
                NextAttemptAt = now,
                UpdatedAt = now,
            });
        }
    }

    /// <summary>The deliveries of an export the user may read (<see cref="ResourceAccess"/>), oldest first; empty when they may not.</summary>
    public async Task<IReadOnlyList<DeliveryInfo>> ListAsync(ExportUser user, Guid exportId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var visible = await ResourceAccess.ReadableExports(db, user).AnyAsync(e => e.Id == exportId, cancellationToken);
        return visible ? await ReadAsync(db, [exportId], cancellationToken) is var all && all.TryGetValue(exportId, out var list) ? list : [] : [];
    }

    /// <summary>The deliveries of several exports (already scoped by the caller), by export.</summary>
    public async Task<IReadOnlyDictionary<Guid, IReadOnlyList<DeliveryInfo>>> ListManyAsync(IReadOnlyCollection<Guid> exportIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exportIds);
        if (exportIds.Count == 0)
        {
            return new Dictionary<Guid, IReadOnlyList<DeliveryInfo>>();
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ReadAsync(db, exportIds, cancellationToken);
    }

    private static async Task<Dictionary<Guid, IReadOnlyList<DeliveryInfo>>> ReadAsync(PortalDbContext db, IReadOnlyCollection<Guid> exportIds, CancellationToken cancellationToken)
    {
        var rows = await (
                from delivery in db.ExportDeliveries.AsNoTracking()
                where exportIds.Contains(delivery.ExportId)
                join destination in db.Destinations.AsNoTracking() on delivery.DestinationId equals destination.Id into found
                from destination in found.DefaultIfEmpty()
                orderby delivery.Id
                select new { Delivery = delivery, Name = destination == null ? null : destination.Name, Kind = destination == null ? (DestinationKind?)null : destination.Kind })
            .ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.Delivery.ExportId).ToDictionary(
            g => g.Key,
            g => (IReadOnlyList<DeliveryInfo>)[.. g.Select(r => new DeliveryInfo(
                r.Delivery.Id,
                r.Delivery.DestinationId,
                r.Name ?? "(deleted destination)",
                r.Kind is { } kind ? KindName(kind) : "",
                r.Delivery.Status.ToString(),
                r.Delivery.Error,
                [.. DeliveryFiles.Read(r.Delivery.Files).Select(f => new DeliveredFile(f.Name, f.Path, f.Bytes))],
                r.Delivery.Attempts,
                r.Delivery.NextAttemptAt,
                r.Delivery.DeliveredAt))]);
    }

    /// <summary>The admin dashboard's view: destinations with failed deliveries in the last day, and the day's counts.</summary>
    public async Task<DestinationHealth> GetHealthAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var dayAgo = time.GetUtcNow() - TimeSpan.FromDays(1);
        var delivered = await db.ExportDeliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered && d.DeliveredAt > dayAgo, cancellationToken);
        var failedLastDay = await db.ExportDeliveries.CountAsync(d => d.Status == DeliveryStatus.Failed && d.UpdatedAt > dayAgo, cancellationToken);
        // Failing: a delivery whose last attempt in the last day failed, given up or still retrying.
        var failed = await (
                from delivery in db.ExportDeliveries.AsNoTracking()
                where delivery.Error != null && delivery.UpdatedAt > dayAgo
                    && (delivery.Status == DeliveryStatus.Failed || delivery.Status == DeliveryStatus.Pending)
                join destination in db.Destinations.AsNoTracking() on delivery.DestinationId equals destination.Id
                join export in db.ExportRequests.IgnoreQueryFilters() on delivery.ExportId equals export.Id
                select new { destination.Id, destination.Name, destination.Kind, export.OwnerName, delivery.Error, delivery.UpdatedAt })
            .ToListAsync(cancellationToken);
        var failing = failed
            .GroupBy(f => f.Id)
            .Select(g =>
            {
                var last = g.MaxBy(f => f.UpdatedAt)!;
                return new FailingDestination(g.Key, last.Name, KindName(last.Kind), last.OwnerName, g.Count(), last.Error, last.UpdatedAt);
            })
            .OrderByDescending(f => f.LastFailedAt)
            .ToList();
        return new DestinationHealth(failing, delivered, failedLastDay);
    }
}

/// <summary>Destination ids as scripts send them (strings in a JSON array).</summary>
public static class DestinationIds
{
    /// <summary>The ids, adding a problem under <c>destinations</c> to <paramref name="errors"/> for each that is not one.</summary>
    public static IReadOnlyList<Guid> Parse(IReadOnlyList<string>? values, IDictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var ids = new List<Guid>();
        var problems = new List<string>();
        foreach (var value in values ?? [])
        {
            if (Guid.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
            else
            {
                problems.Add($"'{value}' is not a destination id: use the id that POST /api/v1/destinations answered.");
            }
        }
        if (problems.Count > 0)
        {
            errors[ExportDeliveries.Field] = [.. problems];
        }
        return ids;
    }
}
