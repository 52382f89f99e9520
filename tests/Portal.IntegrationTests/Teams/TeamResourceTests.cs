using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.IntegrationTests.Api;
using Portal.Schedules;
using Portal.Testing;

namespace Portal.IntegrationTests.Teams;

/// <summary>
/// Schedules, destinations and webhooks of a team over the API, on real engines: the simulator, the test database,
/// Azurite and a webhook receiver on loopback. Who is in a team is what their latest sign-in said (their PortalUser row),
/// which their tokens read on every use.
/// </summary>
public sealed class TeamResourceTests(TeamResourceTests.Fixture fixture) : IClassFixture<TeamResourceTests.Fixture>
{
    private static readonly string[] CompletedEvent = ["export.completed"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public sealed class Fixture : IAsyncLifetime
    {
        public PortalFactory Portal { get; private set; } = default!;

        public async ValueTask InitializeAsync() =>
            Portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?>
            {
                ["Destinations:AllowPrivateNetworks"] = "true",
                ["Deliveries:PollInterval"] = "00:00:00.100",
                ["Deliveries:RetryDelay"] = "00:00:00.200",
            });

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }

    private sealed record Team(string Name, ExportUser Maintainer, ExportUser Member, ExportUser Outsider, ExportUser Watcher);

    /// <summary>A fresh team with a maintainer, an author who is a member, an outsider and a member who wants the team's notices.</summary>
    private async Task<Team> TeamAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var name = $"Fleet {suffix}";
        var team = new Team(
            name,
            new ExportUser($"maint-{suffix}", $"Mara Maintainer {suffix}", null, IsAdmin: false) { Teams = [name], MaintainedTeams = [name] },
            new ExportUser($"member-{suffix}", $"Mika Member {suffix}", null, IsAdmin: false) { Teams = [name] },
            new ExportUser($"out-{suffix}", $"Otto Outsider {suffix}", null, IsAdmin: false),
            new ExportUser($"watch-{suffix}", $"Wilma Watcher {suffix}", null, IsAdmin: false) { Teams = [name] });
        foreach (var user in new[] { team.Maintainer, team.Member, team.Outsider, team.Watcher })
        {
            await SignedInAsync(user);
        }
        await using var db = await DbAsync();
        db.UserSettings.Add(new UserSettings { UserId = team.Watcher.Id, TeamNotices = true });
        await db.SaveChangesAsync(Cancellation);
        return team;
    }

    /// <summary>The user's PortalUser row as their latest sign-in leaves it.</summary>
    private async Task SignedInAsync(ExportUser user)
    {
        await using var db = await DbAsync();
        var row = await db.PortalUsers.SingleOrDefaultAsync(u => u.Id == user.Id, Cancellation);
        if (row is null)
        {
            row = new PortalUser { Id = user.Id, Name = user.Name, LastSignInAt = DateTimeOffset.UtcNow };
            db.PortalUsers.Add(row);
        }
        row.Teams = TeamRules.Join(user.Teams);
        row.MaintainedTeams = TeamRules.Join(user.MaintainedTeams);
        await db.SaveChangesAsync(Cancellation);
    }

    private Task<HttpClient> ClientAsync(ExportUser user) => fixture.Portal.ApiClientForAsync(user);

    private Task<PortalDbContext> DbAsync() =>
        fixture.Portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);

    private static object Blob(string container, string? team) => new
    {
        name = $"Blob {container}", kind = "azure-blob", connectionString = StorageEngines.AzuriteConnectionString, container, team,
    };

    private static object Hourly(string name, string? team, params Guid[] destinations) => new
    {
        name, format = "CSV", range = "previous-day", recurrence = "cron", cron = "0 * * * *", timeZone = "UTC", team,
        destinations = destinations.Select(d => d.ToString()).ToArray(),
    };

    private static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Cancellation));
        return await ApiCalls.JsonAsync(response);
    }

    [Fact]
    public async Task AMembersTeamScheduleRunsAfterTheyLeaveAndIsDeliveredToTheTeamsDestinationAndWebhookAndNotices()
    {
        var team = await TeamAsync();
        using var member = await ClientAsync(team.Member);
        using var maintainer = await ClientAsync(team.Maintainer);
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await using var receiver = await WebhookReceiver.StartAsync();

        var destination = (await CreatedAsync(await member.PostAsJsonAsync("/api/v1/destinations", Blob(container.Name, team.Name), Cancellation))).GetProperty("id").GetGuid();
        using var hook = await maintainer.PostAsJsonAsync("/api/v1/webhooks", new { url = receiver.Url.ToString(), events = CompletedEvent, team = team.Name }, Cancellation);
        var webhook = await CreatedAsync(hook);
        var created = await CreatedAsync(await member.PostAsJsonAsync("/api/v1/schedules", Hourly("partner daily", team.Name, destination), Cancellation));
        var scheduleId = created.GetProperty("id").GetGuid();
        Assert.Equal(team.Name, created.GetProperty("team").GetString());
        Assert.Equal(team.Member.Name, created.GetProperty("createdBy").GetString());

        // The author leaves the team: their next sign-in names it no more.
        await SignedInAsync(team.Member with { Teams = [] });
        using (var gone = await member.GetAsync($"/api/v1/schedules/{scheduleId}", Cancellation))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        await using (var db = await DbAsync())
        {
            var schedule = await db.Schedules.SingleAsync(s => s.Id == scheduleId, Cancellation);
            var now = DateTimeOffset.UtcNow;
            schedule.NextRunAt = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
            await db.SaveChangesAsync(Cancellation);
        }
        Assert.Equal(1, await fixture.Portal.Services.GetRequiredService<ExportScheduler>().RunPassAsync(Cancellation));

        await using var read = await DbAsync();
        var run = await read.ScheduleRuns.AsNoTracking().SingleAsync(r => r.ScheduleId == scheduleId, Cancellation);
        var export = await read.ExportRequests.AsNoTracking().SingleAsync(e => e.Id == run.ExportId, Cancellation);
        Assert.Equal(team.Name, export.Team);
        Assert.Equal(team.Member.Id, export.OwnerId);
        var delivery = await Eventually.ReturnsAsync(
            async () =>
            {
                await using var db = await DbAsync();
                return await db.ExportDeliveries.AsNoTracking().SingleAsync(d => d.ExportId == export.Id, Cancellation);
            },
            d => d.Status is DeliveryStatus.Delivered or DeliveryStatus.Failed,
            "the team's export delivered", TimeSpan.FromSeconds(90), d => $"{d.Status}: {d.Error}");
        Assert.True(delivery.Status == DeliveryStatus.Delivered, delivery.Error);
        Assert.Equal(destination, delivery.DestinationId);
        Assert.NotEmpty(await container.GetBlobsAsync(cancellationToken: Cancellation).ToListAsync(Cancellation));

        var received = await receiver.WaitForAsync(r => r.AnsweredWith == 204);
        received.Verify(webhook.GetProperty("secret").GetString()!);
        using var json = JsonDocument.Parse(received.Body);
        Assert.Equal(export.Id, json.RootElement.GetProperty("data").GetProperty("id").GetGuid());

        var notices = await Eventually.ReturnsAsync(
            async () =>
            {
                await using var db = await DbAsync();
                return await db.ExportNotices.AsNoTracking().Where(n => n.ExportId == export.Id).ToListAsync(Cancellation);
            },
            list => list.Any(n => n.OwnerId == team.Watcher.Id && n.Status == ExportStatus.Completed),
            "the watching member's notice", TimeSpan.FromSeconds(30), list => string.Join("; ", list.Select(n => $"{n.OwnerId}: {n.Text}")));
        // Only who chose the team's notices gets them: the maintainer did not.
        Assert.DoesNotContain(notices, n => n.OwnerId == team.Maintainer.Id);
        Assert.Contains(notices, n => n.OwnerId == team.Member.Id);
    }

    [Fact]
    public async Task OutsidersGetNotFoundMembersReadButMayNotChangeMaintainersChange()
    {
        var team = await TeamAsync();
        using var member = await ClientAsync(team.Member);
        using var maintainer = await ClientAsync(team.Maintainer);
        using var outsider = await ClientAsync(team.Outsider);
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await using var receiver = await WebhookReceiver.StartAsync();
        var destination = (await CreatedAsync(await maintainer.PostAsJsonAsync("/api/v1/destinations", Blob(container.Name, team.Name), Cancellation))).GetProperty("id").GetGuid();
        var schedule = (await CreatedAsync(await member.PostAsJsonAsync("/api/v1/schedules", Hourly("team's", team.Name, destination), Cancellation))).GetProperty("id").GetGuid();
        var webhook = (await CreatedAsync(await maintainer.PostAsJsonAsync("/api/v1/webhooks",
            new { url = receiver.Url.ToString(), events = CompletedEvent, team = team.Name }, Cancellation))).GetProperty("id").GetGuid();

        foreach (var path in new[] { $"/api/v1/schedules/{schedule}", $"/api/v1/destinations/{destination}", $"/api/v1/webhooks/{webhook}" })
        {
            using var read = await outsider.GetAsync(path, Cancellation);
            await ApiCalls.ProblemAsync(read, 404);
            using var delete = await outsider.DeleteAsync(path, Cancellation);
            await ApiCalls.ProblemAsync(delete, 404);
            using var memberRead = await member.GetAsync(path, Cancellation);
            Assert.Equal(HttpStatusCode.OK, memberRead.StatusCode);
        }
        Assert.Empty((await ApiCalls.JsonAsync(await outsider.GetAsync($"/api/v1/schedules?team={Uri.EscapeDataString(team.Name)}", Cancellation))).EnumerateArray());
        var filtered = await ApiCalls.JsonAsync(await member.GetAsync($"/api/v1/destinations?team={Uri.EscapeDataString(team.Name)}", Cancellation));
        Assert.Equal(destination, Assert.Single(filtered.EnumerateArray()).GetProperty("id").GetGuid());
        Assert.Equal(team.Maintainer.Name, filtered[0].GetProperty("createdBy").GetString());

        using var notMember = await outsider.PostAsJsonAsync("/api/v1/schedules", Hourly("not mine", team.Name), Cancellation);
        var problem = await ApiCalls.JsonAsync(notMember);
        Assert.Equal(HttpStatusCode.BadRequest, notMember.StatusCode);
        Assert.Equal($"You are not a member of team {team.Name}.", problem.GetProperty("errors").GetProperty("team")[0].GetString());

        using (var edit = await member.PutAsJsonAsync($"/api/v1/schedules/{schedule}", Hourly("renamed", null), Cancellation))
        {
            var forbidden = await ApiCalls.ProblemAsync(edit, 403);
            Assert.Equal("Only the team's maintainers can change this.", forbidden.GetProperty("title").GetString());
        }
        await ApiCalls.ProblemAsync(await member.DeleteAsync($"/api/v1/destinations/{destination}", Cancellation), 403);
        await ApiCalls.ProblemAsync(await member.PostAsync($"/api/v1/webhooks/{webhook}/rotate-secret", null, Cancellation), 403);
        await ApiCalls.ProblemAsync(await member.DeleteAsync($"/api/v1/schedules/{schedule}", Cancellation), 403);

        // A personal destination is not one a team's schedule may deliver to.
        var own = (await CreatedAsync(await maintainer.PostAsJsonAsync("/api/v1/destinations", Blob(container.Name, null), Cancellation))).GetProperty("id").GetGuid();
        using (var wrong = await maintainer.PutAsJsonAsync($"/api/v1/schedules/{schedule}", Hourly("renamed", null, own), Cancellation))
        {
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }
        using (var paused = await maintainer.PostAsync($"/api/v1/schedules/{schedule}/pause", null, Cancellation))
        {
            Assert.True((await ApiCalls.JsonAsync(paused)).GetProperty("paused").GetBoolean());
        }
        using (var edited = await maintainer.PutAsJsonAsync($"/api/v1/schedules/{schedule}", Hourly("renamed", null, destination), Cancellation))
        {
            var body = await ApiCalls.JsonAsync(edited);
            Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
            Assert.Equal("renamed", body.GetProperty("name").GetString());
            Assert.Equal(team.Name, body.GetProperty("team").GetString());
            Assert.Equal(team.Member.Name, body.GetProperty("createdBy").GetString());
        }
        Assert.Equal(HttpStatusCode.NoContent, (await maintainer.DeleteAsync($"/api/v1/webhooks/{webhook}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await maintainer.DeleteAsync($"/api/v1/schedules/{schedule}", Cancellation)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await maintainer.DeleteAsync($"/api/v1/destinations/{destination}", Cancellation)).StatusCode);
    }
}
