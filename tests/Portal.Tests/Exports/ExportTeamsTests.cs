using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Tracking;

namespace Portal.Tests.Exports;

/// <summary>Team exports and shares of one export, through the export services on the real engine and database.</summary>
public class ExportTeamsTests
{
    private const string Fleet = "Fleet analytics";

    private static readonly ExportUser Member = new("mo-oid", "Mo Member", "mo@example.test", IsAdmin: false) { Teams = [Fleet] };
    private static readonly ExportUser Teammate = new("tia-oid", "Tia Teammate", "tia@example.test", IsAdmin: false) { Teams = [Fleet] };
    private static readonly ExportUser Maintainer = new("max-oid", "Max Maintainer", "max@example.test", IsAdmin: false) { Teams = [Fleet], MaintainedTeams = [Fleet] };
    private static readonly ExportUser Outsider = new("otto-oid", "Otto Outsider", "Otto.Outsider@Example.test", IsAdmin: false) { Teams = ["Billing"] };

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    private static IExportSubmissions Submissions(EngineTestHost host) => host.Services.CreateScope().ServiceProvider.GetRequiredService<IExportSubmissions>();

    private static IExportShares Shares(EngineTestHost host) => host.Services.CreateScope().ServiceProvider.GetRequiredService<IExportShares>();

    private static async Task<Guid> TeamExportAsync(EngineTestHost host, ExportUser user, int daysAgo = 2) =>
        Accepted(await Submissions(host).SubmitAsync(user, EngineTestHost.Day(daysAgo), FileFormat.Csv, null, [], Fleet, Cancellation)).Id;

    /// <summary>The users as their sign-ins recorded them: shares name people the portal knows.</summary>
    private static async Task SignedInAsync(EngineTestHost host, params ExportUser[] users)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        foreach (var user in users)
        {
            db.PortalUsers.Add(new PortalUser { Id = user.Id, Name = user.Name, Email = user.Email, LastSignInAt = DateTimeOffset.UtcNow, Teams = TeamRules.Join(user.Teams) });
        }
        await db.SaveChangesAsync(Cancellation);
    }

    [Fact]
    public async Task ATeamsExportIsReadByItsMembersListedAsTheirsAndNotFoundForOthers()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var id = await TeamExportAsync(host, Member);
        var personal = Accepted(await exports.SubmitAsync(Member, EngineTestHost.Day(3), FileFormat.Csv, Cancellation)).Id;

        var seen = await exports.GetAsync(Teammate, id, Cancellation);
        var mine = await exports.ListAsync(Teammate, new ExportQuery(), Cancellation);
        var byTeam = await exports.ListAsync(Teammate, new ExportQuery { Team = Fleet }, Cancellation);
        var outsiders = await exports.ListAsync(Outsider, new ExportQuery(), Cancellation);
        var outsidersByTeam = await exports.ListAsync(Outsider, new ExportQuery { Team = Fleet }, Cancellation);
        var requestersOwn = await exports.ListAsync(Member, new ExportQuery(), Cancellation);

        Assert.NotNull(seen);
        Assert.Equal(Fleet, seen.Summary.Team);
        Assert.Equal(Member.Id, seen.Summary.OwnerId);
        Assert.Equal([id], mine.Items.Select(e => e.Id));
        Assert.Equal([id], byTeam.Items.Select(e => e.Id));
        Assert.Null(await exports.GetAsync(Outsider, id, Cancellation));
        Assert.Empty(outsiders.Items);
        Assert.Empty(outsidersByTeam.Items);
        Assert.Null(await exports.GetAsync(Teammate, personal, Cancellation));
        Assert.Equal([id, personal], requestersOwn.Items.Select(e => e.Id).Order());
        Assert.Equal([id], (await exports.ListAsync(Member, new ExportQuery { Team = Fleet }, Cancellation)).Items.Select(e => e.Id));
    }

    [Fact]
    public async Task MembersReadATeamsExportWhileItsMaintainersAndTheMemberWhoAskedForItCancelIt()
    {
        await using var host = await EngineTestHost.StartAsync();
        var exports = host.Exports();
        var asked = await TeamExportAsync(host, Member);
        var other = await TeamExportAsync(host, Member, daysAgo: 3);

        var teammateSees = await exports.GetAsync(Teammate, asked, Cancellation);
        var teammateCancels = await exports.CancelAsync(Teammate, asked, Cancellation);
        var teammateDeletes = await exports.DeleteAsync(Teammate, asked, Cancellation);
        var teammateReruns = await exports.RerunAsync(Teammate, asked, Cancellation);
        var outsiderCancels = await exports.CancelAsync(Outsider, asked, Cancellation);

        Assert.False(teammateSees!.CanCancel);
        Assert.False(teammateSees.CanShare);
        Assert.False(teammateCancels);
        Assert.False(teammateDeletes);
        Assert.Null(teammateReruns);
        Assert.False(outsiderCancels);
        Assert.Equal(ExportStatus.Queued, (await host.RowAsync(asked)).Status);

        Assert.True((await exports.GetAsync(Member, asked, Cancellation))!.CanCancel);
        Assert.True(await exports.CancelAsync(Member, asked, Cancellation));
        Assert.True(await exports.CancelAsync(Maintainer, other, Cancellation));
        var rerun = Accepted((await exports.RerunAsync(Maintainer, other, Cancellation))!);
        Assert.Equal(Fleet, rerun.Team);
        Assert.Equal(Maintainer.Id, rerun.OwnerId);
        Assert.True(await exports.DeleteAsync(Maintainer, asked, Cancellation));
        Assert.Null(await exports.GetAsync(Teammate, asked, Cancellation));
    }

    [Fact]
    public async Task SubmittingForATeamTheUserIsNotAMemberOfIsInvalidUnderTeamAndStoresNothing()
    {
        await using var host = await EngineTestHost.StartAsync();

        var outcome = await Submissions(host).SubmitAsync(Outsider, EngineTestHost.Day(), FileFormat.Csv, null, [], Fleet, Cancellation);
        var scripted = await Submissions(host).SubmitWithKeyAsync(Outsider, EngineTestHost.Day(), FileFormat.Csv, "key-1", null, [], Fleet, Cancellation);

        var invalid = Assert.IsType<SubmitOutcome.Invalid>(outcome);
        Assert.Equal(["You are not a member of team Fleet analytics."], invalid.Errors[ExportSubmissions.TeamField]);
        Assert.IsType<SubmitOutcome.Invalid>(scripted);
        Assert.Empty((await host.Exports().ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true }, Cancellation)).Items);
    }

    [Fact]
    public async Task APagesSubmissionRemembersItsTeamInTheUsersSettingsCreatingThemWhenMissing()
    {
        await using var host = await EngineTestHost.StartAsync();
        var factory = host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>();

        await TeamExportAsync(host, Member);
        string? afterTeam;
        await using (var db = await factory.CreateDbContextAsync(Cancellation))
        {
            afterTeam = (await db.UserSettings.SingleAsync(s => s.UserId == Member.Id, Cancellation)).LastExportTeam;
        }
        Accepted(await Submissions(host).SubmitAsync(Member, EngineTestHost.Day(3), FileFormat.Csv, null, [], team: null, Cancellation));
        await using var after = await factory.CreateDbContextAsync(Cancellation);
        var settings = await after.UserSettings.SingleAsync(s => s.UserId == Member.Id, Cancellation);

        Assert.Equal(Fleet, afterTeam);
        Assert.Null(settings.LastExportTeam);
        Assert.Equal(Member.Email, settings.Email);
    }

    [Fact]
    public async Task ATeamsExportGoesToTheTeamsDestinationsOnlyAndAPersonalOneToTheRequestersOwn()
    {
        await using var host = await EngineTestHost.StartAsync();
        Guid teams = Guid.NewGuid(), own = Guid.NewGuid(), teammates = Guid.NewGuid(), otherTeams = Guid.NewGuid();
        await using (var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            db.Destinations.AddRange(
                new Destination { Id = teams, OwnerId = Teammate.Id, Team = Fleet, Name = "team" },
                new Destination { Id = own, OwnerId = Member.Id, Name = "own" },
                new Destination { Id = teammates, OwnerId = Teammate.Id, Name = "teammate's" },
                new Destination { Id = otherTeams, OwnerId = Member.Id, Team = "Billing", Name = "billing" });
            await db.SaveChangesAsync(Cancellation);
        }

        var delivered = await Submissions(host).SubmitAsync(Member, EngineTestHost.Day(), FileFormat.Csv, null, [teams], Fleet, Cancellation);
        var refused = await Submissions(host).SubmitAsync(Member, EngineTestHost.Day(3), FileFormat.Csv, null, [own, teammates, otherTeams], Fleet, Cancellation);
        var personal = await Submissions(host).SubmitAsync(Member, EngineTestHost.Day(4), FileFormat.Csv, null, [own, teams], team: null, Cancellation);

        Accepted(delivered);
        var problems = Assert.IsType<SubmitOutcome.Invalid>(refused).Errors[ExportDeliveries.Field];
        Assert.Equal([$"Destination {own} was not found.", $"Destination {teammates} was not found.", $"Destination {otherTeams} was not found."], problems);
        Assert.Equal([$"Destination {teams} was not found."], Assert.IsType<SubmitOutcome.Invalid>(personal).Errors[ExportDeliveries.Field]);
    }

    [Fact]
    public async Task ASharedExportIsReadByTheColleagueUnderSharedWithMeUntilItIsUnshared()
    {
        await using var host = await EngineTestHost.StartAsync();
        await SignedInAsync(host, Outsider);
        var exports = host.Exports();
        var id = Accepted(await exports.SubmitAsync(Member, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        // By email, in another case than stored.
        var shared = Assert.IsType<ShareOutcome.Done>(await Shares(host).ShareAsync(Member, id, ["otto.outsider@example.TEST"], Cancellation));
        var again = Assert.IsType<ShareOutcome.Done>(await Shares(host).ShareAsync(Member, id, [Outsider.Id], Cancellation));
        var colleagueSees = await exports.GetAsync(Outsider, id, Cancellation);
        var sharedWithMe = await exports.ListAsync(Outsider, new ExportQuery { SharedWithMe = true }, Cancellation);
        var colleaguesOwn = await exports.ListAsync(Outsider, new ExportQuery(), Cancellation);
        var ownerSees = await exports.GetAsync(Member, id, Cancellation);
        var colleagueReshares = await Shares(host).ShareAsync(Outsider, id, [Teammate.Id], Cancellation);
        var colleagueCancels = await exports.CancelAsync(Outsider, id, Cancellation);

        var share = Assert.Single(shared.Shares);
        Assert.Equal((Outsider.Id, Outsider.Name, Outsider.Email, Member.Id), (share.UserId, share.Name, share.Email, share.SharedBy));
        Assert.Equal(shared.Shares, again.Shares);
        Assert.NotNull(colleagueSees);
        Assert.False(colleagueSees.CanShare);
        Assert.Empty(colleagueSees.Shares);
        Assert.Equal([id], sharedWithMe.Items.Select(e => e.Id));
        Assert.Empty(colleaguesOwn.Items);
        Assert.True(ownerSees!.CanShare);
        Assert.Equal(shared.Shares, ownerSees.Shares);
        Assert.Single(ownerSees.Timeline, e => e.Detail == $"Shared with {Outsider.Name}." && e.Actor == Member.Name);
        Assert.IsType<ShareOutcome.NotFound>(colleagueReshares);
        Assert.False(colleagueCancels);

        Assert.False(await Shares(host).UnshareAsync(Outsider, id, Outsider.Id, Cancellation));
        Assert.True(await Shares(host).UnshareAsync(Member, id, Outsider.Id, Cancellation));
        Assert.True(await Shares(host).UnshareAsync(Member, id, Outsider.Id, Cancellation));

        Assert.Null(await exports.GetAsync(Outsider, id, Cancellation));
        Assert.Empty((await exports.ListAsync(Outsider, new ExportQuery { SharedWithMe = true }, Cancellation)).Items);
        Assert.Empty((await Shares(host).ListAsync(Member, id, Cancellation))!);
        Assert.Single((await host.RowAsync(id)).Events, e => e.Detail == $"No longer shared with {Outsider.Name}." && e.OwnerId == Outsider.Id);
    }

    [Fact]
    public async Task SharingWithAnUnknownUserOrTheOwnerNamesThemAndSharesNoOne()
    {
        await using var host = await EngineTestHost.StartAsync();
        await SignedInAsync(host, Outsider, Member);
        var id = Accepted(await host.Exports().SubmitAsync(Member, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;

        var outcome = await Shares(host).ShareAsync(Member, id, [Outsider.Id, "nobody@example.test", Member.Email!], Cancellation);
        var empty = await Shares(host).ShareAsync(Member, id, [], Cancellation);

        var errors = Assert.IsType<ShareOutcome.Invalid>(outcome).Errors[ExportShares.Field];
        Assert.Equal(2, errors.Length);
        Assert.Contains("'nobody@example.test' is not a user of the portal", errors[0], StringComparison.Ordinal);
        Assert.Contains($"'{Member.Email}' is the export's owner", errors[1], StringComparison.Ordinal);
        Assert.IsType<ShareOutcome.Invalid>(empty);
        Assert.Empty((await Shares(host).ListAsync(Member, id, Cancellation))!);
        Assert.Null(await host.Exports().GetAsync(Outsider, id, Cancellation));
    }

    [Fact]
    public async Task AMaintainerSharesATeamsExportAndAPlainMemberMayNot()
    {
        await using var host = await EngineTestHost.StartAsync();
        await SignedInAsync(host, Outsider);
        var id = await TeamExportAsync(host, Member);

        Assert.IsType<ShareOutcome.NotFound>(await Shares(host).ShareAsync(Teammate, id, [Outsider.Id], Cancellation));
        Assert.Null(await Shares(host).ListAsync(Teammate, id, Cancellation));
        var shared = Assert.IsType<ShareOutcome.Done>(await Shares(host).ShareAsync(Maintainer, id, [Outsider.Id], Cancellation));

        Assert.Equal(Maintainer.Id, Assert.Single(shared.Shares).SharedBy);
        Assert.NotNull(await host.Exports().GetAsync(Outsider, id, Cancellation));
    }

    [Fact]
    public async Task AShareAndAnUnshareReachTheColleaguesSubscriptionAndTheExportsNotOthers()
    {
        await using var host = await EngineTestHost.StartAsync();
        await SignedInAsync(host, Outsider);
        var id = Accepted(await host.Exports().SubmitAsync(Member, EngineTestHost.Day(), FileFormat.Csv, Cancellation)).Id;
        await host.DispatchAsync();
        var colleagueHeard = new ConcurrentQueue<ExportChanged>();
        var pageHeard = new ConcurrentQueue<ExportChanged>();
        var strangerHeard = new ConcurrentQueue<ExportChanged>();
        using var colleague = host.Changes.SubscribeToOwner(Outsider.Id, c => { colleagueHeard.Enqueue(c); return Task.CompletedTask; });
        using var page = host.Changes.SubscribeToExport(id, c => { pageHeard.Enqueue(c); return Task.CompletedTask; });
        using var stranger = host.Changes.SubscribeToOwner(Teammate.Id, c => { strangerHeard.Enqueue(c); return Task.CompletedTask; });

        Assert.IsType<ShareOutcome.Done>(await Shares(host).ShareAsync(Member, id, [Outsider.Id], Cancellation));
        Assert.True(await Shares(host).UnshareAsync(Member, id, Outsider.Email!, Cancellation));
        await host.DispatchAsync();
        await Eventually.HoldsAsync(() => colleagueHeard.Count == 2 && pageHeard.Count == 2, "the colleague's and the export's subscriptions to hear the share and the unshare");

        Assert.All(colleagueHeard, c => Assert.Equal((id, Member.Id, Outsider.Id), (c.ExportId, c.OwnerId, c.AccessChangedFor)));
        Assert.Equal([$"Shared with {Outsider.Name}.", $"No longer shared with {Outsider.Name}."], colleagueHeard.Select(c => c.Detail));
        Assert.Equal(colleagueHeard.Select(c => c.EventId), pageHeard.Select(c => c.EventId));
        Assert.Empty(strangerHeard);
    }
}
