using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Security;

namespace Portal.Destinations;

/// <summary>
/// A user's and their teams' destinations, scoped by <see cref="ResourceAccess"/> without the admin right (a destination
/// holds its owner's or its team's credential, so admins are scoped like everyone): one the user may not read is "not
/// found", and the attempt is audited; a member of its team reads it, its maintainers delete and test it. Creating,
/// deleting and testing are audited too.
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

    /// <summary>The field a problem with the team is reported under.</summary>
    public const string TeamField = "team";

    public async Task<DestinationRegistration> CreateAsync(ExportUser user, DestinationInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(input);
        var checkedInput = await validator.CheckAsync(input, cancellationToken);
        var errors = new Dictionary<string, string[]>(checkedInput.Errors);
        var team = string.IsNullOrWhiteSpace(input.Team) ? null : input.Team.Trim();
        if (!ResourceAccess.CanAssignTo(user, team))
        {
            errors[TeamField] = [$"You are not a member of team {team}."];
        }
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
            Team = team,
        };
        db.Destinations.Add(destination);
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Create", destination.Id, destination.Target, "created");
        return new DestinationRegistration.Created(Info(destination));
    }

    /// <summary>The destinations the user reads (their own and their teams'), of <paramref name="team"/> only when given.</summary>
    public async Task<IReadOnlyList<DestinationInfo>> ListAsync(ExportUser user, string? team, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var readable = ResourceAccess.Readable(db.Destinations.AsNoTracking(), Scoped(user));
        if (team is not null)
        {
            readable = readable.Where(d => d.Team == team);
        }
        var destinations = await readable.ToListAsync(cancellationToken);
        return [.. destinations.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).Select(Info)];
    }

    /// <summary>Null when there is no such destination the user reads.</summary>
    public async Task<DestinationInfo?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (destination, access) = await FindAsync(db, user, id, "read destination", Access.ReadOnly, cancellationToken);
        return access == Access.NotFound ? null : Info(destination!);
    }

    /// <summary><see cref="Access.Change"/> when deleted; <see cref="Access.NotFound"/> or <see cref="Access.ReadOnly"/> (a member of its team) when not.</summary>
    public async Task<Access> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (destination, access) = await FindAsync(db, user, id, "delete destination", Access.Change, cancellationToken);
        if (access != Access.Change)
        {
            return access;
        }
        db.Destinations.Remove(destination!);
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Delete", id, destination!.Target, "deleted");
        return Access.Change;
    }

    /// <summary>
    /// Writes and removes a probe file with the destination's writer and keeps the outcome on the destination. Null, with
    /// <see cref="Access.NotFound"/> or <see cref="Access.ReadOnly"/>, when the user may not change it.
    /// </summary>
    public async Task<(DestinationTestResult? Result, Access Access)> TestAsync(ExportUser user, Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (destination, access) = await FindAsync(db, user, id, "test destination", Access.Change, cancellationToken);
        if (access != Access.Change || destination is null)
        {
            return (null, access);
        }
        var result = await ProbeAsync(destination, cancellationToken);
        destination.LastTestedAt = time.GetUtcNow();
        destination.LastTestSucceeded = result.Succeeded;
        destination.LastTestMessage = result.Message.Length > 1000 ? result.Message[..1000] : result.Message;
        await db.SaveChangesAsync(cancellationToken);
        audit.Destination(user.Id, "Test", id, destination.Target, result.Succeeded ? "succeeded" : "failed");
        return (result, access);
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

    /// <summary>
    /// The destination and what the user may do with it; a refusal of <paramref name="needed"/> is audited. An unknown id
    /// is <see cref="Access.NotFound"/>.
    /// </summary>
    private async Task<(Destination? Destination, Access Access)> FindAsync(PortalDbContext db, ExportUser user, Guid id, string operation, Access needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        var destination = await db.Destinations.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        var access = ResourceAccess.Decide(Scoped(user), destination);
        if (destination is not null && access < needed)
        {
            audit.AccessDenied(user.Id, $"{operation} {id}");
        }
        return (destination, access);
    }

    /// <summary>The user as destinations scope them: an admin's right does not reach another's credential.</summary>
    private static ExportUser Scoped(ExportUser user) => user with { IsAdmin = false };

    private static DestinationInfo Info(Destination d) =>
        new(d.Id, d.Name, DestinationKinds.Name(d.Kind), d.Target, d.PathTemplate, d.CreatedAt, d.LastTestedAt, d.LastTestSucceeded, d.LastTestMessage)
        {
            Team = d.Team,
            OwnerId = d.OwnerId,
            CreatedBy = d.CreatedBy,
        };
}
