using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Portal.Components.Pages.Exports;
using Portal.Exports;
using Portal.Tests.Fakes;

namespace Portal.Tests.Components.Pages.Exports;

public class NewExportTests : ExportTestContext
{
    private IRenderedComponent<NewExport> RenderPage() => Render<NewExport>();

    /// <summary>The message shown under a field, or null.</summary>
    private static string? ErrorNextTo(IRenderedComponent<NewExport> page, string testId) =>
        page.Find($"input[data-testid={testId}]").Closest(".mud-input-control")!.QuerySelector(".mud-input-error .me-auto")?.TextContent.Trim() is { Length: > 0 } text ? text : null;

    [Fact]
    public void StartsWithTheLast24HoursAsCsv()
    {
        var page = RenderPage();

        Assert.Equal("2026-11-27T12:00", page.Find("input[data-testid=range-from]").GetAttribute("value"));
        Assert.Equal("2026-11-28T12:00", page.Find("input[data-testid=range-to]").GetAttribute("value"));
        Assert.Equal("true", page.Find("[data-testid=preset-last-24h]").GetAttribute("aria-pressed"));
        Assert.Contains("[2026-11-27T12:00:00Z, 2026-11-28T12:00:00Z)", page.Find("[data-testid=range-utc]").TextContent, StringComparison.Ordinal);
        Assert.True(page.Find("input[data-testid=format-CSV]").HasAttribute("checked"));
        Assert.Contains("(default)", page.Find("input[data-testid=format-CSV]").Closest("label")!.TextContent, StringComparison.Ordinal);
        Assert.False(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public void BeforeTheCircuitIsUpTheFormWaitsAndSaysSo()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        var page = RenderPage();

        var submit = page.Find("button[data-testid=submit-export]");
        Assert.True(submit.HasAttribute("disabled"), "a click before the circuit is up would be lost");
        Assert.Contains("Connecting", submit.TextContent, StringComparison.Ordinal);
        Assert.True(page.Find("[data-testid=preset-last-hour]").HasAttribute("disabled"));
        Assert.True(page.Find("input[data-testid=range-from]").HasAttribute("disabled"));
        Assert.True(page.Find("input[data-testid=format-CSV]").HasAttribute("disabled"));
    }

    [Fact]
    public void ShowsEachFormatWithItsDescription()
    {
        var page = RenderPage();

        foreach (var format in FileFormats.All)
        {
            Assert.Contains(format.Description(), page.Find($"input[data-testid=format-{format.ApiName()}]").Closest("label")!.TextContent, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("preset-last-hour", "2026-11-28T11:00", "2026-11-28T12:00")]
    [InlineData("preset-last-24h", "2026-11-27T12:00", "2026-11-28T12:00")]
    [InlineData("preset-yesterday", "2026-11-27T00:00", "2026-11-28T00:00")]
    [InlineData("preset-last-7-days", "2026-11-21T12:00", "2026-11-28T12:00")]
    [InlineData("preset-previous-month", "2026-10-01T00:00", "2026-11-01T00:00")]
    public void PresetsFillTheRange(string preset, string from, string to)
    {
        Clock.AdjustTime(new DateTimeOffset(2026, 11, 28, 12, 0, 42, TimeSpan.Zero));
        var page = RenderPage();

        page.Find($"[data-testid={preset}]").Click();

        Assert.Equal(from, page.Find("input[data-testid=range-from]").GetAttribute("value"));
        Assert.Equal(to, page.Find("input[data-testid=range-to]").GetAttribute("value"));
        Assert.Equal("true", page.Find($"[data-testid={preset}]").GetAttribute("aria-pressed"));
    }

    [Fact]
    public void PresetsFollowTheBrowsersTimeZone()
    {
        var module = JSInterop.SetupModule("./js/time-zone.js");
        module.Setup<string?>("timeZone").SetResult("Europe/Berlin");
        var page = RenderPage();

        page.WaitForAssertion(() => Assert.Contains("Europe/Berlin", page.Find("[data-testid=time-zone]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=preset-yesterday]").Click();

        Assert.Equal("2026-11-27T00:00", page.Find("input[data-testid=range-from]").GetAttribute("value"));
        // Midnight in Berlin (UTC+1 in November) is 23:00 UTC the day before.
        Assert.Contains("[2026-11-26T23:00:00Z, 2026-11-27T23:00:00Z)", page.Find("[data-testid=range-utc]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAStartAfterTheEnd()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-from]").Change("2026-11-28T13:00:00");

        Assert.Equal("The start must be before the end.", ErrorNextTo(page, "range-from"));
        Assert.Null(ErrorNextTo(page, "range-to"));
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=row-estimate]"));
    }

    [Theory]
    [InlineData("2026-11-28T09:30:00")]
    [InlineData("2026-11-28T09:30")]
    [InlineData("2026-11-28T09:30:00.000")]
    public void AcceptsATypedStartAsTheBrowserSendsIt(string sent)
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-from]").Change(sent);

        Assert.StartsWith("2026-11-28T09:30", page.Find("input[data-testid=range-from]").GetAttribute("value"), StringComparison.Ordinal);
        Assert.Contains("[2026-11-28T09:30:00Z, 2026-11-28T12:00:00Z)", page.Find("[data-testid=range-utc]").TextContent, StringComparison.Ordinal);
        Assert.Null(ErrorNextTo(page, "range-from"));
        Assert.Equal("false", page.Find("[data-testid=preset-last-24h]").GetAttribute("aria-pressed"));
        Assert.False(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task SubmitsATypedRangeWithSecondsInUtc()
    {
        var page = RenderPage();
        page.Find("input[data-testid=range-from]").Change("2026-11-27T22:15:00");
        page.Find("input[data-testid=range-to]").Change("2026-11-28T01:45:30");

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        var (range, _) = Assert.Single(Service.Submissions);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 22, 15, 0, TimeSpan.Zero), range.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 1, 45, 30, TimeSpan.Zero), range.To);
    }

    [Fact]
    public void KeepsTextThatIsNotADateAndSaysWhatToFix()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-to]").Change("2026-11-31T25:00:00");

        Assert.Equal("2026-11-31T25:00:00", page.Find("input[data-testid=range-to]").GetAttribute("value"));
        Assert.Equal("true", page.Find("input[data-testid=range-to]").GetAttribute("aria-invalid"));
        Assert.StartsWith("Not a date and time", ErrorNextTo(page, "range-to"), StringComparison.Ordinal);
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
        Assert.Empty(page.FindAll("[data-testid=range-summary]"));
    }

    [Fact]
    public void ShowsAProblemOfTheWholeRangeUnderTheFieldChangedLast()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-to]").Change("2026-11-27T11:00:00");

        Assert.Equal("The start must be before the end.", ErrorNextTo(page, "range-to"));
        Assert.Null(ErrorNextTo(page, "range-from"));
        Assert.Equal("true", page.Find("input[data-testid=range-from]").GetAttribute("aria-invalid"));
    }

    [Fact]
    public void RejectsASpanOfMoreThan31Days()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-from]").Change("2026-10-28T11:59:00");

        Assert.Equal("A range can span at most 31 days: move the start or the end closer together.", ErrorNextTo(page, "range-from"));
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public void AcceptsExactly31Days()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-from]").Change("2026-10-28T12:00:00");

        Assert.Null(ErrorNextTo(page, "range-from"));
        Assert.Null(ErrorNextTo(page, "range-to"));
        Assert.False(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public void RejectsAnEndMoreThanFiveMinutesAhead()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-to]").Change("2026-11-28T12:06:00");

        Assert.Equal("The end can be at most 5 minutes from now.", ErrorNextTo(page, "range-to"));
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public void AsksForAMissingBound()
    {
        var page = RenderPage();

        page.Find("input[data-testid=range-from]").Change("");

        Assert.Equal("Enter when the range starts.", ErrorNextTo(page, "range-from"));
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public void EstimatesRowsFromDevicesAndMinutes()
    {
        NewExportOptions.DeviceCount = 1000;
        var page = RenderPage();

        page.Find("[data-testid=preset-last-hour]").Click();

        Assert.Contains("60,000", page.Find("[data-testid=row-estimate]").TextContent, StringComparison.Ordinal);
        page.Find("[data-testid=preset-last-7-days]").Click();
        Assert.Contains("10,080,000", page.Find("[data-testid=row-estimate]").TextContent, StringComparison.Ordinal);
        Assert.Contains("11 files", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void SaysHowLongSuchAnExportUsuallyTakesFromSimilarOnes()
    {
        // The default range is the last 24 hours, in CSV.
        AddPreparationTimes(FileFormat.Csv, 1440, 40, 50, 50, 60, 70);
        var page = RenderPage();

        Assert.Equal("Usually takes about 50 s (40 s to 1 min 10 s), from 5 similar exports.",
            page.Find("[data-testid=duration-estimate]").TextContent.Trim());

        page.Find("input[data-testid=format-JSON]").Click();
        Assert.Contains("no estimate yet", page.Find("[data-testid=duration-estimate]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowsARoughSizePerFormatFromFilesEarlierExportsMeasured()
    {
        NewExportOptions.DeviceCount = 1000;
        FileSizes.Add(new Portal.Tracking.FileSizeSample(FileFormat.Csv, 1_000_000, 80_000_000));
        FileSizes.Add(new Portal.Tracking.FileSizeSample(FileFormat.Parquet, 1_000_000, 10_485_760));
        var page = RenderPage();

        var size = (string format) => page.Find($"[data-testid=size-estimate][data-format={format}]").TextContent;
        // 1,440,000 rows in two files.
        Assert.Contains("about 109.9 MB in 2 files", size("CSV"), StringComparison.Ordinal);
        Assert.Contains("(chosen)", size("CSV"), StringComparison.Ordinal);
        Assert.Contains("about 14.4 MB in 2 files", size("PARQUET"), StringComparison.Ordinal);
        Assert.Contains("no estimate yet", size("ORC"), StringComparison.Ordinal);
        Assert.Equal(6, page.FindAll("[data-testid=size-estimate]").Count);
    }

    [Fact]
    public async Task TheRoughSizeComesFromTheFilesOfCompletedExportsMeasuredInTheDatabase()
    {
        await using var host = await Portal.Tests.Tracking.EngineTestHost.StartAsync();
        // Bytes per row 80, 85 and 90: the median is 85. An export with a part not measured yet does not count.
        await AddCompletedAsync(host, FileFormat.Csv, 1, 1_000, 80_000);
        await AddCompletedAsync(host, FileFormat.Csv, 2, 2_000, 100_000, 70_000);
        await AddCompletedAsync(host, FileFormat.Csv, 3, 1_000, 90_000);
        await AddCompletedAsync(host, FileFormat.Csv, 4, 1_000, 1_000_000, null);
        FileSizes.Database = host.Services.GetRequiredService<Portal.Tracking.IFileSizeEstimates>();
        NewExportOptions.DeviceCount = 1000;

        var page = RenderPage();

        // 1,440,000 rows × 85 bytes = 122,400,000 bytes, in two files.
        page.WaitForAssertion(() => Assert.Contains("about 116.7 MB in 2 files",
            page.Find("[data-testid=size-estimate][data-format=CSV]").TextContent, StringComparison.Ordinal));
        Assert.Contains("no estimate yet", page.Find("[data-testid=size-estimate][data-format=PARQUET]").TextContent, StringComparison.Ordinal);
    }

    private static async Task AddCompletedAsync(Portal.Tests.Tracking.EngineTestHost host, FileFormat format, int daysAgo, long rows, params long?[] sizes)
    {
        var submitted = await host.Exports().SubmitAsync(Portal.Tests.Tracking.EngineTestHost.Alice, Portal.Tests.Tracking.EngineTestHost.Day(daysAgo), format, Xunit.TestContext.Current.CancellationToken);
        var id = Assert.IsType<SubmitOutcome.Accepted>(submitted).Export.Id;
        await host.UpdateAsync(id, e =>
        {
            e.Status = ExportStatus.Completed;
            e.CompletedAt = DateTimeOffset.UtcNow.AddDays(-daysAgo);
            e.RowCount = rows;
            for (var part = 0; part < sizes.Length; part++)
            {
                e.Files.Add(new Portal.Data.ExportFile { Part = part, Name = $"part-{part:D5}.csv", Url = "https://files.test/f", UrlExpiresAt = DateTimeOffset.UtcNow, SizeBytes = sizes[part] });
            }
        });
    }

    [Fact]
    public void SaysSoWhenNoFileSizeHasBeenMeasured()
    {
        var page = RenderPage();

        Assert.Contains("no estimate yet", page.Find("[data-testid=size-estimates]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=size-estimate]"));
    }

    [Fact]
    public async Task SubmitsTheRangeInUtcAndTheChosenFormatThenOpensTheRequest()
    {
        var page = RenderPage();
        page.Find("[data-testid=preset-last-hour]").Click();
        page.Find("input[data-testid=format-PARQUET]").Click();

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        var (range, format) = Assert.Single(Service.Submissions);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 11, 0, 0, TimeSpan.Zero), range.From);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), range.To);
        Assert.Equal(FileFormat.Parquet, format);
        var created = Assert.Single(Service.Exports);
        Assert.EndsWith($"/exports/{created.Id}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheExportAfterTheDailyAllowanceIsRefusedSayingWhyAndWhenItResets()
    {
        Service.AllowanceLimit = 3;
        for (var i = 0; i < 2; i++)
        {
            await RenderPage().Find("button[data-testid=submit-export]").ClickAsync(new());
        }
        var page = RenderPage();
        var shownBefore = page.Find("[data-testid=allowance]").TextContent;
        // Meanwhile the last export of the day goes elsewhere: another tab, a script or a schedule.
        var elsewhere = await Service.SubmitAsync(new ExportUser(UserId, UserName, null, IsAdmin: false), new TimeRange(Clock.GetUtcNow().AddHours(-2), Clock.GetUtcNow()), FileFormat.Json, Xunit.TestContext.Current.CancellationToken);

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Contains("1 of 3 exports left today", shownBefore, StringComparison.Ordinal);
        Assert.IsType<SubmitOutcome.Accepted>(elsewhere);
        Assert.Equal(3, Service.Exports.Count);
        var error = page.Find("[data-testid=submit-error]").TextContent;
        Assert.Contains("not submitted", error, StringComparison.Ordinal);
        Assert.Contains("used your 3 exports for today", error, StringComparison.Ordinal);
        Assert.Contains("resets at 2026-11-29 00:00 UTC", error, StringComparison.Ordinal);
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
        Assert.Contains("0 of 3 exports left today", page.Find("[data-testid=allowance]").TextContent, StringComparison.Ordinal);

        // A page opened now says so before anything is chosen.
        var later = RenderPage();
        Assert.Contains("used your 3 exports for today", later.Find("[data-testid=allowance-used-up]").TextContent, StringComparison.Ordinal);
        Assert.True(later.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task ShowsTheServicesValidationMessagesOnTheirFields()
    {
        Service.NextSubmitOutcome = new SubmitOutcome.Invalid(new Dictionary<string, string[]>
        {
            ["timerange.to"] = ["to is too far in the future"],
        });
        var page = RenderPage();

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Contains("to is too far in the future", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Correct the marked fields", page.Find("[data-testid=submit-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(Service.Exports);
    }

    [Fact]
    public async Task SaysWhenTheUserSubmitsTooOften()
    {
        Service.NextSubmitOutcome = new SubmitOutcome.Throttled(TimeSpan.FromSeconds(30));
        var page = RenderPage();

        await page.Find("button[data-testid=submit-export]").ClickAsync(new());

        Assert.Contains("Try again in 30s", page.Find("[data-testid=submit-error]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void OffersAnIdenticalResultThatIsStillAvailable()
    {
        var range = new TimeRange(Clock.GetUtcNow().AddHours(-1), Clock.GetUtcNow());
        Service.Reusable = FakeExportService.Summary(UserId, UserName, ExportStatus.Completed, range, FileFormat.Json);
        var page = RenderPage();
        Assert.Empty(page.FindAll("[data-testid=reusable-offer]"));

        page.Find("[data-testid=preset-last-hour]").Click();
        page.Find("input[data-testid=format-JSON]").Click();

        page.WaitForAssertion(() => Assert.Equal($"exports/{Service.Reusable.Id}",
            page.Find("[data-testid=open-reusable]").GetAttribute("href")));
        Assert.Contains("Submit anyway", page.Find("button[data-testid=submit-export]").TextContent, StringComparison.Ordinal);

        page.Find("input[data-testid=format-CSV]").Click();
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=reusable-offer]")));
    }

    [Fact]
    public void SaysWhenALocalTimeDoesNotExistBecauseTheClocksChange()
    {
        var module = JSInterop.SetupModule("./js/time-zone.js");
        module.Setup<string?>("timeZone").SetResult("Europe/Berlin");
        Clock.AdjustTime(new DateTimeOffset(2026, 3, 29, 12, 0, 0, TimeSpan.Zero));
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.Contains("Europe/Berlin", page.Find("[data-testid=time-zone]").TextContent, StringComparison.Ordinal));

        page.Find("input[data-testid=range-from]").Change("2026-03-29T02:30:00");

        Assert.Contains("does not exist here", ErrorNextTo(page, "range-from"), StringComparison.Ordinal);
        Assert.True(page.Find("button[data-testid=submit-export]").HasAttribute("disabled"));
    }
}
