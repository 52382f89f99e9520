using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications.Email;

/// <summary>A user's email settings as the settings page shows them.</summary>
public sealed record EmailSettings(ExportEmails Exports, bool Schedules, string? Email)
{
    /// <summary>Whether the user also gets the bell's notices of their teams' exports.</summary>
    public bool TeamNotices { get; init; }
}

/// <summary>Reads and saves a user's settings, and keeps the address their sign-in gives for the sender.</summary>
public sealed class UserSettingsStore(IDbContextFactory<PortalDbContext> dbFactory, TimeProvider time)
{
    public async Task<EmailSettings> GetAsync(ExportUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.UserSettings.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == user.Id, cancellationToken)
            ?? new UserSettings { UserId = user.Id };
        return new EmailSettings(row.ExportEmails, row.ScheduleEmails, Usable(user.Email) ?? row.Email) { TeamNotices = row.TeamNotices };
    }

    /// <summary>Saves the choices and the sign-in's current address.</summary>
    public Task SaveAsync(ExportUser user, ExportEmails exports, bool schedules, CancellationToken cancellationToken = default) =>
        UpsertAsync(user, row =>
        {
            row.ExportEmails = exports;
            row.ScheduleEmails = schedules;
        }, cancellationToken);

    /// <summary>Saves whether the user also gets the notices of their teams' exports.</summary>
    public Task SaveTeamNoticesAsync(ExportUser user, bool teamNotices, CancellationToken cancellationToken = default) =>
        UpsertAsync(user, row => row.TeamNotices = teamNotices, cancellationToken);

    /// <summary>Called at sign-in: the sender mails the address the directory gave last.</summary>
    public Task RememberAddressAsync(ExportUser user, CancellationToken cancellationToken = default) =>
        UpsertAsync(user, _ => { }, cancellationToken);

    private async Task UpsertAsync(ExportUser user, Action<UserSettings> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(user);
        // A second try covers two sign-ins of one new user at once: the loser of the insert updates the winner's row.
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var row = await db.UserSettings.SingleOrDefaultAsync(s => s.UserId == user.Id, cancellationToken);
            if (row is null)
            {
                row = new UserSettings { UserId = user.Id };
                db.UserSettings.Add(row);
            }
            change(row);
            row.Email = Usable(user.Email) ?? row.Email;
            row.UpdatedAt = time.GetUtcNow();
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException) when (attempt == 0)
            {
            }
        }
    }

    private static string? Usable(string? email) => EmailPlanner.IsAddress(email) ? email!.Trim() : null;
}
