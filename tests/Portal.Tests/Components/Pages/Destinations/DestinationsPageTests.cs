using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using Portal.Components.Pages.Destinations;
using Portal.Components.Shared;
using Portal.Destinations;
using Portal.Kernel;

namespace Portal.Tests.Components.Pages.Destinations;

/// <summary>The destinations page over the real destination service and a migrated SQLite file; only the storage is a stand-in.</summary>
public sealed class DestinationsPageTests : PortalTestContext, IAsyncDisposable
{
    private const string UserId = "user-1";
    private const string ConnectionString = DestinationTestServices.ConnectionString;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeDestinationWriter _storage = new();
    private readonly string _database;

    public DestinationsPageTests()
    {
        _database = Services.AddDestinationServices(_storage);
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        Authorization.SetAuthorized("Ada User");
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, UserId));
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    private DestinationService Destinations => Services.GetRequiredService<DestinationService>();

    private static ExportUser User(string id = UserId) => new(id, "Ada User", null, false);

    private IRenderedComponent<DestinationsPage> RenderPage()
    {
        Render<MudPopoverProvider>();
        return Render<DestinationsPage>();
    }

    private static string? ErrorNextTo(IRenderedComponent<DestinationsPage> page, string testId) =>
        page.Find($"[data-testid={testId}]").Closest(".mud-input-control")!.QuerySelector(".mud-input-error .me-auto, .mud-input-helper-text.mud-input-error")?.TextContent.Trim() is { Length: > 0 } text ? text : null;

    private async Task<DestinationInfo> CreateAsync(string name, string owner = UserId)
    {
        var created = await Destinations.CreateAsync(User(owner), new DestinationInput(name, "azure-blob", ConnectionString, null, "exports",
            null, null, null, null, null, null, null, null), Cancellation);
        return Assert.IsType<DestinationRegistration.Created>(created).Destination;
    }

    [Fact]
    public void AnAzureDestinationTypedIntoTheFormIsListedWithoutItsSecret()
    {
        var page = RenderPage();
        page.WaitForElement("[data-testid=destinations-empty]", Wait);

        page.Find("[data-testid=new-destination]").Click();
        Assert.Equal("{format}/{from:yyyy-MM-dd}/{export}-{part}.{ext}", page.Find("input[data-testid=destination-path-template]").GetAttribute("value"));
        page.Find("select[data-testid=destination-kind]").Change("azure-blob");
        page.Find("input[data-testid=destination-name]").Change("Team storage");
        page.Find("input[data-testid=destination-connection-string]").Change(ConnectionString);
        page.Find("input[data-testid=destination-container]").Change("exports");
        page.Find("[data-testid=save-destination]").Click();

        page.WaitForAssertion(() => Assert.Equal("Team storage", page.Find("[data-testid=destination-name-text]").TextContent.Trim()), Wait);
        Assert.Contains("exports", page.Find("[data-testid=destination-target]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Not tested yet.", page.Find("[data-testid=destination-untested]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=destination-form]"));
        Assert.DoesNotContain("AccountKey", page.Markup, StringComparison.Ordinal);

        // Opened again, the form holds nothing of the saved secret.
        page.Find("[data-testid=new-destination]").Click();
        Assert.True(string.IsNullOrEmpty(page.Find("input[data-testid=destination-connection-string]").GetAttribute("value")));
    }

    [Fact]
    public void AnSftpDestinationOffersPort22AndExplainsTheFingerprintWithTheTypedHostAndPort()
    {
        var page = RenderPage();
        page.Find("[data-testid=new-destination]").Click();

        page.Find("select[data-testid=destination-kind]").Change("sftp");
        Assert.Equal("22", page.Find("input[data-testid=destination-port]").GetAttribute("value"));
        page.Find("input[data-testid=destination-host]").Change("sftp.partner.example");
        page.Find("input[data-testid=destination-port]").Change("2222");

        var help = page.Find("input[data-testid=destination-fingerprint]").Closest(".mud-input-control")!.TextContent;
        Assert.Contains("ssh-keyscan -p 2222 sftp.partner.example | ssh-keygen -lf -", help, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=destination-connection-string]"));
    }

    [Fact]
    public void WhatTheServiceRefusesIsShownNextToTheFieldsAndNothingIsSaved()
    {
        var page = RenderPage();
        page.Find("[data-testid=new-destination]").Click();
        page.Find("select[data-testid=destination-kind]").Change("sftp");
        page.Find("input[data-testid=destination-name]").Change("Partner");
        page.Find("input[data-testid=destination-username]").Change("portal");
        page.Find("input[data-testid=destination-password]").Change("secret");
        page.Find("input[data-testid=destination-directory]").Change("/upload");
        page.Find("[data-testid=save-destination]").Click();

        page.WaitForAssertion(() => Assert.NotNull(ErrorNextTo(page, "destination-host")), Wait);
        Assert.NotNull(ErrorNextTo(page, "destination-fingerprint"));
        Assert.Null(ErrorNextTo(page, "destination-name"));
        Assert.Contains("Correct the marked fields", page.Find("[data-testid=destination-form-error]").TextContent, StringComparison.Ordinal);
        // What was typed stays, to be corrected.
        Assert.Equal("Partner", page.Find("input[data-testid=destination-name]").GetAttribute("value"));
        Assert.Empty(page.FindAll("[data-testid=destination]"));
    }

    [Fact]
    public void APortThatIsNotANumberIsExplainedNextToIt()
    {
        var page = RenderPage();
        page.Find("[data-testid=new-destination]").Click();
        page.Find("select[data-testid=destination-kind]").Change("sftp");
        page.Find("input[data-testid=destination-port]").Change("twenty-two");
        page.Find("[data-testid=save-destination]").Click();

        page.WaitForAssertion(() => Assert.Equal("Enter the port as a number, e.g. 22.", ErrorNextTo(page, "destination-port")), Wait);
        Assert.Equal("twenty-two", page.Find("input[data-testid=destination-port]").GetAttribute("value"));
    }

    [Fact]
    public async Task ATestShowsItIsRunningThenTheExactMessageOfWhatFailed()
    {
        var destination = await CreateAsync("Team storage");
        _storage.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _storage.Failure = new DestinationFailure("The container exports does not exist in the storage account devstoreaccount1.", permanent: true);
        var page = RenderPage();
        page.WaitForElement("[data-testid=destination-untested]", Wait);

        page.Find("[data-testid=test-destination]").Click();

        page.WaitForElement("[data-testid=destination-testing]", Wait);
        Assert.True(page.Find("[data-testid=test-destination]").HasAttribute("disabled"));
        _storage.Gate.SetResult();
        page.WaitForAssertion(() => Assert.Equal("false", page.Find("[data-testid=destination-test-result]").GetAttribute("data-succeeded")), Wait);
        Assert.Contains("The container exports does not exist in the storage account devstoreaccount1.", page.Find("[data-testid=destination-test-result]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=destination-testing]"));
        Assert.Equal(1, _storage.Probes);

        // The result is kept with the destination: the page shows it after a reload too.
        var again = Render<DestinationsPage>();
        again.WaitForAssertion(() => Assert.Contains("does not exist", again.Find("[data-testid=destination-test-result]").TextContent, StringComparison.Ordinal), Wait);
        Assert.Equal(destination.Id.ToString(), again.Find("[data-testid=destination]").GetAttribute("data-destination-id"));
    }

    [Fact]
    public async Task ASuccessfulTestSaysSo()
    {
        await CreateAsync("Team storage");
        var page = RenderPage();
        page.WaitForElement("[data-testid=destination-untested]", Wait);

        page.Find("[data-testid=test-destination]").Click();

        page.WaitForAssertion(() => Assert.Equal("true", page.Find("[data-testid=destination-test-result]").GetAttribute("data-succeeded")), Wait);
        Assert.StartsWith("Test passed", page.Find("[data-testid=destination-test-result]").TextContent.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletingAsksFirstAndKeepsTheDestinationWhenTheUserSaysNo()
    {
        await CreateAsync("Team storage");
        await CreateAsync("Archive");
        var dialogs = Render<MudDialogProvider>();
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=destination]").Count), Wait);

        page.FindAll("[data-testid=delete-destination]")[0].Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Keep it").Click(), Wait);
        Assert.Equal(2, (await Destinations.ListAsync(User(), null, Cancellation)).Count);

        page.FindAll("[data-testid=delete-destination]")[0].Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Delete").Click(), Wait);
        page.WaitForAssertion(() => Assert.Equal("Archive", Assert.Single(page.FindAll("[data-testid=destination-name-text]")).TextContent.Trim()), Wait);
        Assert.Equal("Archive", Assert.Single(await Destinations.ListAsync(User(), null, Cancellation)).Name);
    }

    [Fact]
    public async Task AnotherUsersDestinationsAreNotListed()
    {
        await CreateAsync("Someone else's", owner: "user-2");

        var page = RenderPage();

        page.WaitForElement("[data-testid=destinations-empty]", Wait);
    }

    private const string Fleet = "Fleet analytics";

    /// <summary>The signed-in user as a member of <see cref="Fleet"/> who does not maintain it.</summary>
    private void SignInAsMember() =>
        Authorization.SetClaims(
            new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, UserId),
            new System.Security.Claims.Claim(ExportUser.TeamClaim, Fleet));

    [Fact]
    public async Task AMemberChoosesTheTeamOnTheFormAndTheListSaysWhoseItIsAndWhoSetItUp()
    {
        SignInAsMember();
        var page = RenderPage();
        page.WaitForElement("[data-testid=destinations-empty]", Wait);

        page.Find("[data-testid=new-destination]").Click();
        var team = page.Find("select[data-testid=destination-team]");
        Assert.Equal(["", Fleet], team.QuerySelectorAll("option").Select(o => o.GetAttribute("value")));
        Assert.Equal("Just me", team.QuerySelectorAll("option")[0].TextContent.Trim());
        team.Change(Fleet);
        page.Find("select[data-testid=destination-kind]").Change("azure-blob");
        page.Find("input[data-testid=destination-name]").Change("Fleet storage");
        page.Find("input[data-testid=destination-connection-string]").Change(ConnectionString);
        page.Find("input[data-testid=destination-container]").Change("exports");
        page.Find("[data-testid=save-destination]").Click();

        page.WaitForAssertion(() => Assert.Equal(Fleet, page.Find("[data-testid=destination-team-text]").TextContent.Trim()), Wait);
        Assert.Equal("Ada User", page.Find("[data-testid=destination-created-by]").TextContent.Trim());
        Assert.Equal(Fleet, Assert.Single(await Destinations.ListAsync(User() with { Teams = [Fleet] }, Fleet, Cancellation)).Team);
        // A member made it, but only the team's maintainers change it.
        Assert.Empty(page.FindAll("[data-testid=delete-destination]"));
        Assert.Equal("Read only: maintained by the team's maintainers.", page.Find("[data-testid=destination-read-only]").TextContent.Trim());
    }

    [Fact]
    public async Task AMemberReadsTheTeamsDestinationWithoutButtonsAndChangesTheirOwn()
    {
        var maintainer = new ExportUser("maint-1", "Max Maintainer", null, false) { Teams = [Fleet], MaintainedTeams = [Fleet] };
        var created = await Destinations.CreateAsync(maintainer, new DestinationInput("Fleet storage", "azure-blob", ConnectionString, null, "exports",
            null, null, null, null, null, null, null, null, Team: Fleet), Cancellation);
        Assert.IsType<DestinationRegistration.Created>(created);
        await CreateAsync("Mine");
        await CreateAsync("Someone else's", owner: "user-2");
        SignInAsMember();

        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=destination]").Count), Wait);

        var teams = page.FindAll("[data-testid=destination]").Single(d => d.TextContent.Contains("Fleet storage", StringComparison.Ordinal));
        Assert.Equal("Max Maintainer", teams.QuerySelector("[data-testid=destination-created-by]")!.TextContent.Trim());
        Assert.Null(teams.QuerySelector("[data-testid=delete-destination]"));
        Assert.Null(teams.QuerySelector("[data-testid=test-destination]"));
        Assert.NotNull(teams.QuerySelector("[data-testid=destination-read-only]"));
        var mine = page.FindAll("[data-testid=destination]").Single(d => d.TextContent.Contains("Mine", StringComparison.Ordinal));
        Assert.NotNull(mine.QuerySelector("[data-testid=delete-destination]"));
        Assert.Equal("Just me", mine.QuerySelector("[data-testid=destination-team-text]")!.TextContent.Trim());

        page.Find("select[data-testid=destinations-team-filter]").Change(Fleet);
        page.WaitForAssertion(() => Assert.Equal("Fleet storage", Assert.Single(page.FindAll("[data-testid=destination-name-text]")).TextContent.Trim()), Wait);
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        DestinationTestServices.Delete(_database);
    }
}

/// <summary>The form with a kind turned off by the administrator.</summary>
public sealed class DestinationKindsTests : PortalTestContext, IAsyncDisposable
{
    private readonly string _database;

    public DestinationKindsTests()
    {
        _database = Services.AddDestinationServices(new FakeDestinationWriter(), new DestinationOptions { AllowPrivateNetworks = true, Kinds = ["sftp"] });
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        Authorization.SetAuthorized("Ada User");
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, "user-1"));
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void OnlyTheEnabledKindsAreOffered()
    {
        Render<MudPopoverProvider>();
        var page = Render<DestinationsPage>();
        page.Find("[data-testid=new-destination]").Click();

        var options = page.FindAll("select[data-testid=destination-kind] option");

        Assert.Equal(["sftp"], options.Select(o => o.GetAttribute("value")));
        Assert.NotEmpty(page.FindAll("input[data-testid=destination-host]"));
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        DestinationTestServices.Delete(_database);
    }
}
