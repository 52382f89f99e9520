using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MudBlazor;
using Portal.Components.Pages.Schedules;
using Portal.Exports;
using Portal.Components.Shared;
using Portal.Schedules;
using Portal.Security;
using Microsoft.Extensions.Time.Testing;
using Portal.Testing;
using Portal.Tests.Fakes;

namespace Portal.Tests.Components.Pages.Schedules;

/// <summary>The schedule form's typed fields, over the real schedule rules (no database: nothing is saved here).</summary>
public class SchedulePageTests : PortalTestContext, IAsyncDisposable
{
    private readonly string _destinationDatabase;

    private FakeTimeProvider Clock { get; } = TestClock.New(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    public SchedulePageTests()
    {
        Services.AddSingleton<IScheduleService>(new PreviewOnlySchedules(Clock));
        _destinationDatabase = Services.AddDestinationServices(new FakeDestinationWriter());
        Services.AddSingleton<IExportChangeFeed>(new FakeExportChangeFeed());
        Services.AddSingleton<TimeProvider>(Clock);
        Services.AddSingleton(Options.Create(new PortalAuthorizationOptions()));
        Services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        Services.AddScoped<CurrentUser>();
        Services.AddScoped<UserTimeZone>();
        Authorization.SetAuthorized("Ada User");
        Authorization.SetClaims(new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, "user-1"));
        SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));
    }

    private IRenderedComponent<SchedulePage> RenderPage()
    {
        Render<MudPopoverProvider>();
        return Render<SchedulePage>();
    }

    private static string? ErrorNextTo(IRenderedComponent<SchedulePage> page, string testId) =>
        page.Find($"input[data-testid={testId}]").Closest(".mud-input-control")!.QuerySelector(".mud-input-error .me-auto")?.TextContent.Trim() is { Length: > 0 } text ? text : null;

    [Theory]
    [InlineData("07:45:00")]
    [InlineData("07:45")]
    [InlineData("07:45:00.000")]
    public void ATimeOfDayIsReadAsTheBrowserSendsIt(string sent)
    {
        var page = RenderPage();

        page.Find("input[data-testid=schedule-time]").Change(sent);

        Assert.Null(ErrorNextTo(page, "schedule-time"));
        // The clock stands at 2026-11-28 12:00 UTC: the next daily run at 07:45 is the next morning.
        Assert.Contains("Sun 29 Nov 2026, 07:45", page.FindAll("[data-testid=next-run]")[0].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ATimeThatIsNotOneIsKeptWithWhatToFix()
    {
        var page = RenderPage();

        page.Find("input[data-testid=schedule-time]").Change("7h45");

        Assert.Equal("7h45", page.Find("input[data-testid=schedule-time]").GetAttribute("value"));
        Assert.StartsWith("Enter a time of day", ErrorNextTo(page, "schedule-time"), StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=next-run]"));
    }

    [Theory]
    [InlineData("ten")]
    [InlineData("0")]
    [InlineData("")]
    public void HoursThatCannotBeUsedAreKeptWithWhatToFix(string typed)
    {
        var page = RenderPage();
        page.Find("input[data-testid=range-last-hours]").Click();

        page.WaitForElement("input[data-testid=schedule-hours]").Input(typed);

        Assert.Equal(typed, page.Find("input[data-testid=schedule-hours]").GetAttribute("value") ?? "");
        Assert.StartsWith("Enter a number of hours from 1 to", ErrorNextTo(page, "schedule-hours"), StringComparison.Ordinal);
    }

    [Fact]
    public void ADayOfTheMonthThatIsNotOneIsKeptWithWhatToFix()
    {
        var page = RenderPage();
        page.Find("input[data-testid=recurrence-monthly]").Click();

        page.WaitForElement("input[data-testid=schedule-day-of-month]").Input("31");

        Assert.Equal("31", page.Find("input[data-testid=schedule-day-of-month]").GetAttribute("value"));
        Assert.StartsWith("Choose a day from 1 to 28", ErrorNextTo(page, "schedule-day-of-month"), StringComparison.Ordinal);
    }

    [Fact]
    public void TimeZonesAreSearchedByCityWithTheBrowsersZoneFirst()
    {
        Assert.Equal("Europe/Berlin", TimeZones.Search("", "Europe/Berlin").First());
        Assert.Contains("America/New_York", TimeZones.Search("new york", "Europe/Berlin"));
        Assert.Equal(["Asia/Tokyo"], TimeZones.Search("tokyo", "Europe/Berlin"));
        Assert.Empty(TimeZones.Search("Atlantis", "Europe/Berlin"));
    }

    [Fact]
    public async Task TheChosenDestinationsAreSavedWithTheScheduleAndARefusedOneIsExplained()
    {
        var destinations = Services.GetRequiredService<Portal.Destinations.DestinationService>();
        var created = await destinations.CreateAsync(new ExportUser("user-1", "Ada User", null, false), new Portal.Destinations.DestinationInput(
            "Team storage", "azure-blob", Portal.Tests.Components.DestinationTestServices.ConnectionString, null, "exports", null, null, null, null, null, null, null, null),
            Xunit.TestContext.Current.CancellationToken);
        var team = Assert.IsType<Portal.Destinations.DestinationRegistration.Created>(created).Destination;
        var page = RenderPage();
        page.Find("input[data-testid=schedule-name]").Input("Nightly");
        var option = page.WaitForElement($"[data-testid=schedule-destinations-option][data-destination-id='{team.Id}']", TimeSpan.FromSeconds(10));
        Assert.False(option.HasAttribute("checked"));

        option.Change(true);
        await page.Find("[data-testid=save-schedule]").ClickAsync(new());

        Assert.Equal([team.Id], Schedules.Saved?.Destinations);
        Assert.Equal("Destination was deleted meanwhile.", page.Find("[data-testid=schedule-destinations-invalid]").TextContent.Trim());
    }

    private PreviewOnlySchedules Schedules => (PreviewOnlySchedules)Services.GetRequiredService<IScheduleService>();

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await DisposeAsync();
        Portal.Tests.Components.DestinationTestServices.Delete(_destinationDatabase);
        GC.SuppressFinalize(this);
    }

    /// <summary>The real rules and next runs of <see cref="ScheduleDefinition"/>; saving records the input and refuses its destinations.</summary>
    private sealed class PreviewOnlySchedules(TimeProvider clock) : IScheduleService
    {
        public ScheduleInput? Saved { get; private set; }

        public (IReadOnlyList<DateTimeOffset> Runs, IReadOnlyDictionary<string, string[]> Errors) Preview(ScheduleInput input, int count = 3)
        {
            var now = clock.GetUtcNow();
            var definition = ScheduleDefinition.Check(input, new ExportsOptions(), now);
            return definition is { Expression: { } cron, Zone: { } zone } ? (ScheduleClock.NextRuns(cron, zone, now, count), definition.Errors) : ([], definition.Errors);
        }

        public Task<IReadOnlyList<ScheduleSummary>> ListAsync(ExportUser user, string? team = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ScheduleDetails?> GetAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ScheduleOutcome> CreateAsync(ExportUser user, ScheduleInput input, CancellationToken cancellationToken = default)
        {
            Saved = input;
            return Task.FromResult<ScheduleOutcome>(new ScheduleOutcome.Invalid(new Dictionary<string, string[]> { ["destinations"] = ["Destination was deleted meanwhile."] }));
        }

        public Task<ScheduleOutcome> UpdateAsync(ExportUser user, Guid id, ScheduleInput input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ScheduleOutcome> PauseAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ScheduleOutcome> ResumeAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ScheduleOutcome> DeleteAsync(ExportUser user, Guid id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
