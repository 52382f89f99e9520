using System.Security.Claims;
using Microsoft.Extensions.Options;
using Portal.Exports;
using Portal.Security;

namespace Portal.Tests.Security;

public class DevelopmentUserStoreTests
{
    private static DevelopmentUserStore Store(SecurityOptions? options = null) =>
        new(new StaticOptionsMonitor<SecurityOptions>(options ?? new SecurityOptions()));

    [Fact]
    public void TheSameNameIsTheSameUserWhateverItsSpacingAndCase()
    {
        var store = Store();

        var first = store.SignIn("  Alice   Analyst ", isAdmin: false);
        var second = store.SignIn("alice analyst", isAdmin: true);

        Assert.Equal("dev-alice-analyst", first.Id);
        Assert.Equal(first.Id, second.Id);
        Assert.True(store.Find(first.Id)!.IsAdmin);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-- !!")]
    public void RefusesNamesWithoutLettersOrDigits(string? name)
    {
        Assert.False(DevelopmentUserStore.IsValidName(name));
        Assert.Throws<ArgumentException>(() => Store().SignIn(name ?? "", isAdmin: false));
    }

    [Fact]
    public void OffersConfiguredDemoUsersOrBuiltInOnes()
    {
        var configured = new SecurityOptions();
        configured.Development.Users.Add(new DevelopmentUserOptions { Name = "Zoe Zed", IsAdmin = true });

        Assert.Equal(["Zoe Zed"], Store(configured).DemoUsers.Select(u => u.Name));
        Assert.Contains(Store().DemoUsers, u => u.IsAdmin);
        Assert.Contains(Store().DemoUsers, u => !u.IsAdmin);
    }

    [Fact]
    public void PrincipalsReadAsExportUsersWithTheConfiguredAdminRole()
    {
        var user = new DevelopmentUser("dev-ada", "Ada Admin", "ada@example.test", IsAdmin: true);

        var principal = DevelopmentUserStore.CreatePrincipal(user, "Portal.Admin");
        var exportUser = ExportUser.FromPrincipal(principal, "Portal.Admin");

        // The team lists are compared by content below; a record compares lists by reference.
        Assert.Equal(new ExportUser("dev-ada", "Ada Admin", "ada@example.test", IsAdmin: true) { Teams = exportUser.Teams, MaintainedTeams = exportUser.MaintainedTeams }, exportUser);
        Assert.Empty(exportUser.Teams);
        Assert.Empty(exportUser.MaintainedTeams);
        Assert.True(principal.IsDevelopmentSignIn());
        Assert.False(ExportUser.FromPrincipal(DevelopmentUserStore.CreatePrincipal(user with { IsAdmin = false }, "Portal.Admin"), "Portal.Admin").IsAdmin);
    }

    [Fact]
    public void APrincipalCarriesTheTeamsOfItsSignIn()
    {
        var user = new DevelopmentUser("dev-tia", "Tia Teams", "tia@example.test", IsAdmin: false);

        var principal = DevelopmentUserStore.CreatePrincipal(user, "Portal.Admin", new TeamMembership(["Billing", "Fleet analytics"], ["Fleet analytics"]));
        var exportUser = ExportUser.FromPrincipal(principal, "Portal.Admin");

        Assert.Equal(["Billing", "Fleet analytics"], exportUser.Teams);
        Assert.True(exportUser.Maintains("Fleet analytics"));
        Assert.False(exportUser.Maintains("Billing"));
    }

    [Fact]
    public void WithdrawingAndRemovingChangeOnlyKnownUsers()
    {
        var store = Store();
        var bob = store.SignIn("Bob", isAdmin: true);

        Assert.True(store.SetAdmin(bob.Id, isAdmin: false));
        Assert.False(store.Find(bob.Id)!.IsAdmin);
        Assert.True(store.Remove(bob.Id));
        Assert.Null(store.Find(bob.Id));
        Assert.False(store.SetAdmin(bob.Id, isAdmin: true));
        Assert.Equal(ClaimTypes.Role, DevelopmentUserStore.CreatePrincipal(bob, "r").Identities.Single().RoleClaimType);
    }
}

internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue { get; set; } = value;

    public T Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
