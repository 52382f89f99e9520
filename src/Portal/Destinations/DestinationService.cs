using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;

namespace Portal.Destinations;

/// <summary>
/// A user's destinations. Every call is scoped to the owner, admins included (a destination holds its owner's
/// credential): another user's destination is "not found", and the attempt is audited. Creating, deleting and
/// testing are audited too.
/// </summary>
public sealed class DestinationService(
    IDbContextFactory<PortalDbContext> dbFactory,
    DestinationValidator validator,
    DestinationSecrets secrets,
    DestinationTargets targets,
    IEnumerable<IDestinationWriter> writers,
    AuditLog audit,
    TimeProvider time,
    IOptions<DestinationOptions> options)
{
    /// <summary>The kinds users may define now (<c>Destinations:Kinds</c>).</summary>
    public IReadOnlyList<string> EnabledKinds => options.Value.EnabledKinds;

    public async Task<DestinationRegistration> CreateAsync(ExportUser user, DestinationInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(input);
        var checkedInput = await validator.CheckAsync(input, cancellationToken);
        var errors = new Dictionary<string, string[]>(checkedInput.Errors);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Destinations.CountAsync(d => d.OwnerId == user.Id, cancellationToken) >= options.Value.MaxPerUser)
        {
            errors["name"] = [.. errors.GetValueOrDefault("name") ?? [], $"You have {options.Value.MaxPerUser} destinations already; delete one first."];
        }
        if (errors.Count > 0 || checkedInput.Valid is not { } valid)
        {
            return new DestinationRegistration.Invalid(errors);
        }
        var destination = new Destination
        {
            Id = Guid.CreateVersion7(),
            OwnerId = user.Id,
            Name = valid.Name,
            Kind = valid.Kind,
            Target = valid.Target,
            Settings = valid.Settings.ToJson(),
            ProtectedSecret = secrets.Protect(valid.Secret),
            PathTemplate = valid.PathTemplate,
            CreatedAt = time.GetUtcNow(),
            CreatedBy = user.Name,
        };
        db.Destinations.Add(destination);
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Create", destination.Id, destination.Target, "created");
        return new DestinationRegistration.Created(Info(destination));
    }

    public async Task<IReadOnlyList<DestinationInfo>> ListAsync(ExportUser user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destinations = await db.Destinations.AsNoTracking().Where(d => d.OwnerId == user.Id).ToListAsync(cancellationToken);
        return [.. destinations.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Select(Info)];
    }

    /// <summary>Null when there is no such destination of the user's.</summary>
    public async Task<DestinationInfo?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await FindAsync(db, user, id, "read destination", cancellationToken) is { } destination ? Info(destination) : null;
    }

    public async Task<bool> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destination = await FindAsync(db, user, id, "delete destination", cancellationToken);
        if (destination is null)
        {
            return false;
        }
        db.Destinations.Remove(destination);
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Delete", id, destination.Target, "deleted");
        return true;
    }

    /// <summary>
    /// Writes and removes a probe file with the destination's writer and keeps the outcome on the destination. Null when
    /// there is no such destination of the user's.
    /// </summary>
    public async Task<DestinationTestResult?> TestAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var destination = await FindAsync(db, user, id, "test destination", cancellationToken);
        if (destination is null)
        {
            return null;
        }
        var result = await ProbeAsync(destination, cancellationToken);
        destination.LastTestedAt = time.GetUtcNow();
        destination.LastTestSucceeded = result.Succeeded;
        destination.LastTestMessage = result.Message.Length > 1000 ? result.Message[..1000] : result.Message;
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Test", id, destination.Target, result.Succeeded ? "succeeded" : "failed");
        return result;
    }

    private async Task<DestinationTestResult> ProbeAsync(Destination destination, CancellationToken cancellationToken)
    {
        var kind = DestinationKinds.Name(destination.Kind);
        if (!EnabledKinds.Contains(kind))
        {
            return new DestinationTestResult(false, $"Destinations of kind {kind} are turned off on this portal.");
        }
        var writer = writers.Single(w => w.Kind == destination.Kind);
        try
        {
            await writer.ProbeAsync(targets.Target(destination), cancellationToken);
            return new DestinationTestResult(true, $"A probe file was written to {destination.Target} and removed.");
        }
        catch (DestinationFailure failure)
        {
            return new DestinationTestResult(false, failure.Message);
        }
    }

    private async Task<Destination?> FindAsync(PortalDbContext db, ExportUser user, Guid id, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var destination = await db.Destinations.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (destination is not null && destination.OwnerId != user.Id)
        {
            audit.AccessDenied(user.Id, $"{operation} {id}");
            return null;
        }
        return destination;
    }

    private static DestinationInfo Info(Destination d) =>
        new(d.Id, d.Name, DestinationKinds.Name(d.Kind), d.Target, d.PathTemplate, d.CreatedAt, d.LastTestedAt, d.LastTestSucceeded, d.LastTestMessage);
}
