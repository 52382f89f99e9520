using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Security;
using Portal.Tests.Tracking;

namespace Portal.Tests.Security;

/// <summary>The one authorization component: its rules, and its list filters as the database runs them.</summary>
public class ResourceAccessTests
{
    private const string Fleet = "Fleet analytics";

    private static readonly ExportUser Member = new("member-oid", "Mia Member", null, IsAdmin: false) { Teams = [Fleet] };
    private static readonly ExportUser Maintainer = new("maint-oid", "Max Maintainer", null, IsAdmin: false) { Teams = [Fleet], MaintainedTeams = [Fleet] };
    private static readonly ExportUser Outsider = new("out-oid", "Otto Outsider", null, IsAdmin: false) { Teams = ["Billing"] };
    private static readonly ExportUser Admin = new("admin-oid", "Ada Admin", null, IsAdmin: true);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void MembersReadATeamsResourceMaintainersChangeIt()
    {
        var schedule = new Schedule { OwnerId = Member.Id, Team = Fleet };

        Assert.True(ResourceAccess.CanRead(Member, schedule));
        Assert.False(ResourceAccess.CanChange(Member, schedule));
        Assert.True(ResourceAccess.CanChange(Maintainer, schedule));
        Assert.False(ResourceAccess.CanRead(Outsider, schedule));
        Assert.True(ResourceAccess.CanChange(Admin, schedule));
    }

    [Fact]
    public void AnAuthorWhoLeftTheTeamNoLongerReadsWhatTheySetUpForIt()
    {
        var schedule = new Schedule { OwnerId = Outsider.Id, Team = Fleet };

        Assert.False(ResourceAccess.CanRead(Outsider, schedule));
        Assert.False(ResourceAccess.CanChange(Outsider, schedule));
    }

    [Fact]
    public void TheMemberWhoAskedForATeamsExportMayCancelAndShareItAnotherMemberMayNot()
    {
        var export = new ExportRequest { OwnerId = Member.Id, Team = Fleet };
        var colleague = Member with { Id = "colleague-oid" };

        Assert.True(ResourceAccess.CanCancel(Member, export));
        Assert.True(ResourceAccess.CanShare(Member, export));
        Assert.False(ResourceAccess.CanCancel(colleague, export));
        Assert.False(ResourceAccess.CanShare(colleague, export));
        Assert.True(ResourceAccess.CanShare(Maintainer, export));
    }

    [Fact]
    public void OnlyMembersAssignToATeam()
    {
        Assert.True(ResourceAccess.CanAssignTo(Member, Fleet));
        Assert.True(ResourceAccess.CanAssignTo(Outsider, null));
        Assert.False(ResourceAccess.CanAssignTo(Outsider, Fleet));
    }

    [Fact]
    public void DecideIsNotFoundForOutsidersReadOnlyForMembersAndChangeForMaintainers()
    {
        var destination = new Destination { OwnerId = Member.Id, Team = Fleet };

        Assert.Equal(Access.NotFound, ResourceAccess.Decide(Outsider, destination));
        Assert.Equal(Access.NotFound, ResourceAccess.Decide(Member, null));
        Assert.Equal(Access.ReadOnly, ResourceAccess.Decide(Member, destination));
        Assert.Equal(Access.Change, ResourceAccess.Decide(Maintainer, destination));
        Assert.Equal(Access.Change, ResourceAccess.Decide(Outsider, new Destination { OwnerId = Outsider.Id }));
    }

    [Fact]
    public void ATeamsScheduleUsesOnlyItsTeamsDestinationsAPersonalOneOnlyItsOwners()
    {
        var teamSchedule = new Schedule { OwnerId = Member.Id, Team = Fleet };
        var personal = new Schedule { OwnerId = Member.Id };

        Assert.True(ResourceAccess.BelongsWith(teamSchedule, new Destination { OwnerId = Maintainer.Id, Team = Fleet }));
        Assert.False(ResourceAccess.BelongsWith(teamSchedule, new Destination { OwnerId = Member.Id }));
        Assert.False(ResourceAccess.BelongsWith(teamSchedule, new Destination { OwnerId = Member.Id, Team = "Billing" }));
        Assert.True(ResourceAccess.BelongsWith(personal, new Destination { OwnerId = Member.Id }));
        Assert.False(ResourceAccess.BelongsWith(personal, new Destination { OwnerId = Member.Id, Team = Fleet }));
        Assert.False(ResourceAccess.BelongsWith(personal, new Destination { OwnerId = Maintainer.Id }));
    }

    [Fact]
    public async Task TheDatabaseFiltersListsByOwnerTeamAndShare()
    {
        await using var host = await EngineTestHost.StartAsync();
        var factory = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();
        var own = Export(Outsider.Id, team: null);
        var teams = Export(Member.Id, Fleet);
        var shared = Export(Member.Id, team: null);
        var other = Export(Member.Id, team: null);
        await using (var db = await factory.CreateDbContextAsync(Cancellation))
        {
            db.ExportRequests.AddRange(own, teams, shared, other);
            db.ExportShares.Add(new ExportShare { ExportId = shared.Id, UserId = Outsider.Id, UserName = Outsider.Name, SharedBy = Member.Id, SharedAt = DateTimeOffset.UtcNow });
            db.Schedules.AddRange(
                new Schedule { Id = Guid.NewGuid(), OwnerId = Member.Id, Team = Fleet, Name = "team's", Cron = "0 6 * * *", TimeZoneId = "UTC" },
                new Schedule { Id = Guid.NewGuid(), OwnerId = Member.Id, Name = "member's", Cron = "0 6 * * *", TimeZoneId = "UTC" });
            await db.SaveChangesAsync(Cancellation);
        }

        await using var read = await factory.CreateDbContextAsync(Cancellation);
        Assert.Equal(
            new[] { own.Id, shared.Id }.Order(),
            await ResourceAccess.ReadableExports(read, Outsider).Select(e => e.Id).OrderBy(i => i).ToListAsync(Cancellation));
        Assert.Equal([shared.Id], await ResourceAccess.SharedWith(read, Outsider).Select(e => e.Id).ToListAsync(Cancellation));
        Assert.Equal(
            new[] { teams.Id, shared.Id, other.Id }.Order(),
            await ResourceAccess.ReadableExports(read, Member).Select(e => e.Id).OrderBy(i => i).ToListAsync(Cancellation));
        Assert.Equal(4, await ResourceAccess.ReadableExports(read, Admin).CountAsync(Cancellation));
        Assert.Equal(["team's"], await ResourceAccess.Readable(read.Schedules, Maintainer).Select(s => s.Name).ToListAsync(Cancellation));
        Assert.Equal(2, await ResourceAccess.Readable(read.Schedules, Member).CountAsync(Cancellation));
        Assert.Empty(await ResourceAccess.Readable(read.Schedules, Outsider).ToListAsync(Cancellation));
        Assert.Equal(["team's"], await ResourceAccess.UsableBy(read.Schedules, Outsider.Id, Fleet).Select(s => s.Name).ToListAsync(Cancellation));
        Assert.Equal(["member's"], await ResourceAccess.UsableBy(read.Schedules, Member.Id, team: null).Select(s => s.Name).ToListAsync(Cancellation));
    }

    private static ExportRequest Export(string owner, string? team)
    {
        var now = DateTimeOffset.UtcNow;
        return new ExportRequest
        {
            Id = Guid.NewGuid(),
            OwnerId = owner,
            OwnerName = owner,
            Team = team,
            RangeFrom = now.AddDays(-2),
            RangeTo = now.AddDays(-1),
            Format = FileFormat.Csv,
            Status = ExportStatus.Queued,
            CreatedAt = now,
            CreatedDay = DateOnly.FromDateTime(now.UtcDateTime),
            UpdatedAt = now,
        };
    }
}
