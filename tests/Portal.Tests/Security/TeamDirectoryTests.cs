using System.Security.Claims;
using Microsoft.Extensions.Logging;
using Portal.Security;
using Portal.Tests.Fakes;

namespace Portal.Tests.Security;

/// <summary>Where a user's teams come from: the sign-in's groups, the development sign-in's names, and the maintainers.</summary>
public class TeamDirectoryTests
{
    private const string FleetGroup = "0b7c56a1-1f3e-4b6e-9d6a-5e8f6c2d1a01";
    private const string BillingGroup = "7e2d9c44-8a1b-4c3d-b5e6-f7a8b9c0d102";
    private const string FleetLeadsGroup = "c3a1e5f7-0b2d-4e6f-8a9c-1d3e5f7a9b03";
    private const string UnknownGroup = "99999999-0000-4000-8000-000000000004";

    private readonly RecordingLoggerFactory _logs = new();

    private TeamDirectory Directory(TeamsOptions? options = null) => new(
        new StaticOptionsMonitor<TeamsOptions>(options ?? new TeamsOptions
        {
            Groups = new() { [FleetGroup] = "Fleet analytics", [BillingGroup] = "Billing", [FleetLeadsGroup] = "Fleet analytics" },
            Maintainers = new()
            {
                ["Fleet analytics"] = [FleetLeadsGroup, "Max.Maintainer@Example.test"],
                ["Billing"] = ["oid-bea"],
            },
        }),
        _logs.CreateLogger<TeamDirectory>());

    private static ClaimsPrincipal EntraSignIn(string oid, string? email, params Claim[] more)
    {
        List<Claim> claims = [new("oid", oid), new("name", oid), .. more];
        if (email is not null)
        {
            claims.Add(new("preferred_username", email));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "AuthenticationTypes.Federation"));
    }

    private static ExportUser Read(ClaimsPrincipal principal) => ExportUser.FromPrincipal(principal, "Portal.Admin");

    [Fact]
    public void GroupsBecomeTeamsAndUnknownGroupsAreIgnored()
    {
        var membership = Directory().FromGroups([FleetGroup, UnknownGroup], "oid-mia", "mia@example.test");

        Assert.Equal(["Fleet analytics"], membership.Teams);
        Assert.Empty(membership.MaintainedTeams);
    }

    [Fact]
    public void AGroupIdMatchesWhateverItsLetterCase()
    {
        var membership = Directory().FromGroups([BillingGroup.ToUpperInvariant()], "oid-mia", null);

        Assert.Equal(["Billing"], membership.Teams);
    }

    [Fact]
    public void AMaintainerGroupMakesAMaintainerAndAMember()
    {
        var membership = Directory().FromGroups([FleetLeadsGroup], "oid-lea", null);

        Assert.Equal(["Fleet analytics"], membership.Teams);
        Assert.Equal(["Fleet analytics"], membership.MaintainedTeams);
    }

    [Fact]
    public void MaintainersAreFoundByEmailIgnoringCaseAndByUserId()
    {
        var byEmail = Directory().FromGroups([FleetGroup], "oid-max", "max.maintainer@example.test");
        var byId = Directory().FromGroups([], "oid-bea", "bea@example.test");

        Assert.Equal(["Fleet analytics"], byEmail.MaintainedTeams);
        Assert.Equal(["Billing"], byId.MaintainedTeams);
        // Listed as a maintainer without being in the team's group: a maintainer is a member.
        Assert.Equal(["Billing"], byId.Teams);
    }

    [Fact]
    public void TheEntraSignInGetsOneClaimPerTeamAndPerMaintainedTeam()
    {
        var principal = EntraSignIn("oid-lea", "lea@example.test",
            new Claim(TeamDirectory.GroupsClaim, FleetLeadsGroup), new Claim(TeamDirectory.GroupsClaim, BillingGroup), new Claim(TeamDirectory.GroupsClaim, UnknownGroup));

        Directory().AddEntraTeams(principal, (ClaimsIdentity)principal.Identity!);

        var user = Read(principal);
        Assert.Equal(["Billing", "Fleet analytics"], user.Teams);
        Assert.Equal(["Fleet analytics"], user.MaintainedTeams);
        Assert.True(user.IsMemberOf("Billing"));
        Assert.False(user.Maintains("Billing"));
        Assert.False(principal.HasClaim(c => c.Type == TeamDirectory.OverageClaim));
        Assert.Empty(_logs.Entries);
    }

    [Theory]
    [InlineData("_claim_names", """{"groups":"src1"}""")]
    [InlineData("hasgroups", "true")]
    public void AGroupOverageGivesNoTeamsTheNoticeFlagAndOneWarning(string claim, string value)
    {
        // With an overage Entra leaves the groups out; a stray one must not count either.
        var principal = EntraSignIn("oid-ola", "ola@example.test", new Claim(claim, value), new Claim(TeamDirectory.GroupsClaim, FleetGroup));

        Assert.True(TeamDirectory.HasGroupOverage(principal));
        Directory().AddEntraTeams(principal, (ClaimsIdentity)principal.Identity!);

        Assert.Empty(Read(principal).Teams);
        Assert.Equal("true", principal.FindFirstValue(TeamDirectory.OverageClaim));
        var warning = Assert.Single(_logs.Entries);
        Assert.StartsWith("Warning", warning, StringComparison.Ordinal);
        Assert.Contains("oid-ola", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void ClaimNamesWithoutGroupsAreNoOverage()
    {
        var principal = EntraSignIn("oid-ola", null, new Claim("_claim_names", """{"roles":"src2"}"""));

        Assert.False(TeamDirectory.HasGroupOverage(principal));
    }

    [Fact]
    public void AnOverageKeepsTheTeamsAUserIsAMaintainerOfByEmail()
    {
        var principal = EntraSignIn("oid-max", "max.maintainer@example.test", new Claim("hasgroups", "true"));

        Directory().AddEntraTeams(principal, (ClaimsIdentity)principal.Identity!);

        Assert.Equal(["Fleet analytics"], Read(principal).Teams);
        Assert.Equal(["Fleet analytics"], Read(principal).MaintainedTeams);
    }

    [Fact]
    public void TypedTeamsAreTrimmedWithoutEmptyEntriesOrRepeats()
    {
        var teams = TeamDirectory.ParseTypedTeams(" Fleet analytics ,, Billing,  ,Fleet analytics", out var error);

        Assert.Null(error);
        Assert.Equal(["Fleet analytics", "Billing"], teams);
        Assert.Empty(TeamDirectory.ParseTypedTeams(null, out _)!);
        Assert.Empty(TeamDirectory.ParseTypedTeams(" , ", out _)!);
    }

    [Fact]
    public void ATypedTeamTooLongOrWithALineBreakIsAnError()
    {
        var tooLong = TeamDirectory.ParseTypedTeams("Billing, " + new string('x', 101), out var lengthError);
        var withBreak = TeamDirectory.ParseTypedTeams("Fleet\nanalytics", out var breakError);

        Assert.Null(tooLong);
        Assert.Contains("longer than 100 characters", lengthError, StringComparison.Ordinal);
        Assert.Null(withBreak);
        Assert.Contains("line break", breakError, StringComparison.Ordinal);
        Assert.NotNull(TeamDirectory.ParseTypedTeams(new string('x', 100), out _));
    }

    [Fact]
    public void TypedTeamsGetTheirMaintainersByEmailOrId()
    {
        var directory = Directory();

        var max = directory.FromNames(["Billing"], "dev-max", "max.maintainer@example.test");
        var mia = directory.FromNames(["Fleet analytics", "Billing"], "dev-mia", "mia@example.test");

        Assert.Equal(["Billing", "Fleet analytics"], max.Teams);
        Assert.Equal(["Fleet analytics"], max.MaintainedTeams);
        Assert.Equal(["Billing", "Fleet analytics"], mia.Teams);
        Assert.Empty(mia.MaintainedTeams);
    }

    [Fact]
    public void TheSettingsAreCheckedWithClearMessages()
    {
        var options = new TeamsOptions
        {
            Groups = new() { [FleetGroup] = "Fleet analytics", [BillingGroup] = " ", [UnknownGroup] = new string('t', 101) },
            Maintainers = new() { ["Fleet analytcs"] = ["lea@example.test"], ["Fleet analytics"] = [] },
        };

        var withEntra = new TeamsOptionsValidator(requireGroupForMaintainedTeam: true).Validate(null, options);
        var development = new TeamsOptionsValidator(requireGroupForMaintainedTeam: false).Validate(null, options);

        Assert.True(withEntra.Failed);
        var failures = withEntra.Failures!.ToList();
        Assert.Contains($"Teams:Groups:{BillingGroup} must name a team.", failures);
        Assert.Contains($"Teams:Groups:{UnknownGroup} is a team name longer than 100 characters.", failures);
        Assert.Contains(failures, f => f.StartsWith("Teams:Maintainers:Fleet analytcs names a team that no group in Teams:Groups maps to", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Teams:Maintainers:Fleet analytics must list", StringComparison.Ordinal));
        Assert.DoesNotContain(development.Failures!, f => f.Contains("no group", StringComparison.Ordinal));
        Assert.True(new TeamsOptionsValidator(true).Validate(null, new TeamsOptions()).Succeeded);
    }
}
