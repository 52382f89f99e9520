using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Exports;

namespace Portal.Notifications;

/// <summary>
/// The bell for teams: for each change of a team's export that gave its owner a notice, adds the same notice for every
/// other member of the team who chose <see cref="UserSettings.TeamNotices"/>, inside the dispatcher's transaction, so
/// each is added once. Members are the users whose latest sign-in named the team (<see cref="PortalUser.Teams"/>).
/// </summary>
public sealed class TeamNoticePlanner : IDeliveryPlanner
{
    public async Task PlanAsync(PortalDbContext db, IReadOnlyList<ExportChanged> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(changes);
        var live = changes.Where(c => !c.Deleted).ToList();
        if (live.Count == 0)
        {
            return;
        }
        var exportIds = live.Select(c => c.ExportId).Distinct().ToList();
        var teams = await db.ExportRequests.AsNoTracking()
            .Where(e => exportIds.Contains(e.Id) && e.Team != null)
            .ToDictionaryAsync(e => e.Id, e => e.Team!, cancellationToken);
        if (teams.Count == 0)
        {
            return;
        }
        var membersByTeam = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var team in teams.Values.Distinct(StringComparer.Ordinal))
        {
            membersByTeam[team] = await MembersWantingNoticesAsync(db, team, cancellationToken);
        }
        var teamExports = teams.Keys.ToList();
        // The owner's notices of these exports, written with their change (same export, same instant).
        var notices = await db.ExportNotices.AsNoTracking()
            .Where(n => teamExports.Contains(n.ExportId))
            .ToListAsync(cancellationToken);
        foreach (var change in live.Where(c => teams.ContainsKey(c.ExportId)))
        {
            var members = membersByTeam[teams[change.ExportId]].Where(m => m != change.OwnerId).ToList();
            foreach (var notice in notices.Where(n => n.ExportId == change.ExportId && n.OwnerId == change.OwnerId && n.At == change.At))
            {
                foreach (var member in members)
                {
                    db.ExportNotices.Add(new ExportNoticeEntry
                    {
                        ExportId = notice.ExportId,
                        OwnerId = member,
                        Status = notice.Status,
                        At = notice.At,
                        Text = notice.Text,
                    });
                }
            }
        }
    }

    /// <summary>The ids of the members of <paramref name="team"/> who want their teams' notices; one query the database runs.</summary>
    public static Task<List<string>> MembersWantingNoticesAsync(PortalDbContext db, string team, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var line = TeamRules.ListSeparator + team + TeamRules.ListSeparator;
        var separator = TeamRules.ListSeparator.ToString();
        return (
                from user in db.PortalUsers.AsNoTracking()
                where (separator + user.Teams + separator).Contains(line)
                join settings in db.UserSettings.AsNoTracking() on user.Id equals settings.UserId
                where settings.TeamNotices
                select user.Id)
            .ToListAsync(cancellationToken);
    }
}
