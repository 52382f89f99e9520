using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using Portal.Tests.Tracking;
using Portal.Tests.Upstream;

namespace Portal.Tests.Exports;

public class ExportNamesTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static ExportSummary Accepted(SubmitOutcome outcome) => Assert.IsType<SubmitOutcome.Accepted>(outcome).Export;

    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static TimeRange Utc(int fromDay, int fromHour, int toDay, int toHour, int toYear = 2026, int toMonth = 12) => new(
        new DateTimeOffset(2026, 12, fromDay, fromHour, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(toYear, toMonth, toDay, toHour, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TheDefaultNameIsTheFormatAndTheRangeInTheUsersZone()
    {
        Assert.Equal("CSV · 5 Dec 10:00–11:00", ExportNames.Default(FileFormat.Csv, Utc(5, 9, 5, 10), Berlin));
        Assert.Equal("PARQUET · 5 Dec 10:00 – 6 Dec 09:00", ExportNames.Default(FileFormat.Parquet, Utc(5, 9, 6, 8), Berlin));
        Assert.Equal("JSON · 31 Dec 2026 23:00 – 1 Jan 2027 01:00", ExportNames.Default(FileFormat.Json, Utc(31, 22, 1, 0, toYear: 2027, toMonth: 1), Berlin));
    }

    [Fact]
    public void ADefaultNameMadeInUtcSaysSo()
    {
        Assert.Equal("CSV · 5 Dec 09:00–10:00 UTC", ExportNames.Default(FileFormat.Csv, Utc(5, 9, 5, 10), TimeZoneInfo.Utc));
    }

    [Fact]
    public void AScheduledRunIsNamedAfterItsScheduleAndItsRangeInTheSchedulesZone()
    {
        Assert.Equal("Nightly fleet · 5 Dec 10:00–11:00", ExportNames.ForSchedule("  Nightly fleet ", Utc(5, 9, 5, 10), Berlin));
        var longest = ExportNames.ForSchedule(new string('x', 300), Utc(5, 9, 5, 10), Berlin);
        Assert.Equal(ExportNames.MaxStoredLength, longest.Length);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("   ", null)]
    [InlineData("  Fleet, Monday  ", null)]
    [InlineData("Line one\nline two", "The name may not contain line breaks, tabs or other control characters.")]
    [InlineData("Tab\there", "The name may not contain line breaks, tabs or other control characters.")]
    public void ANameIsTrimmedAndMayNotHoldControlCharacters(string? name, string? problem)
    {
        Assert.Equal(problem, ExportNames.Problem(name));
    }

    [Fact]
    public void ANameMayBeAHundredCharactersLongAfterTrimming()
    {
        Assert.Null(ExportNames.Problem("  " + new string('n', 100) + "  "));
        Assert.Equal("The name may be at most 100 characters long; this one has 101.", ExportNames.Problem(new string('n', 101)));
    }

    [Fact]
    public async Task ASubmissionKeepsItsTrimmedNameAndOneWithoutANameIsNamedInUtc()
    {
        await using var host = await EngineTestHost.StartAsync(new StubUpstream());
        var range = EngineTestHost.Day();

        var named = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, range, FileFormat.Csv, "  Fleet, Monday ", Cancellation));
        var unnamed = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Orc, Cancellation));

        Assert.Equal("Fleet, Monday", named.Name);
        Assert.Equal("Fleet, Monday", (await host.RowAsync(named.Id)).Name);
        Assert.Equal(ExportNames.Default(FileFormat.Orc, EngineTestHost.Day(3), TimeZoneInfo.Utc), (await host.RowAsync(unnamed.Id)).Name);
        Assert.EndsWith(" UTC", unnamed.Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ABadNameStoresNothingAndSaysWhatToFix()
    {
        await using var host = await EngineTestHost.StartAsync(new StubUpstream());

        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, new string('n', 101), Cancellation);

        var invalid = Assert.IsType<SubmitOutcome.Invalid>(outcome);
        Assert.Equal(["The name may be at most 100 characters long; this one has 101."], invalid.Errors["name"]);
        Assert.Empty((await host.Exports().ListAsync(EngineTestHost.Alice, new ExportQuery(), Cancellation)).Items);
    }

    [Fact]
    public async Task AReRunKeepsTheOriginalsName()
    {
        await using var host = await EngineTestHost.StartAsync(new StubUpstream());
        var original = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, "Fleet, Monday", Cancellation));

        var rerun = Accepted((await host.Exports().RerunAsync(EngineTestHost.Alice, original.Id, Cancellation))!);

        Assert.NotEqual(original.Id, rerun.Id);
        Assert.Equal("Fleet, Monday", rerun.Name);
    }

    [Theory]
    [InlineData("fleet, MON")]
    [InlineData("parq")]
    [InlineData("UUID-NAMES-42")]
    public async Task HistorySearchFindsAnExportByItsNameItsFormatOrItsRequestIdIgnoringCase(string search)
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Accepted("uuid-names-42"));
        upstream.EnqueuePost(_ => StubUpstream.Accepted("uuid-other-7"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var wanted = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Parquet, "Fleet, Monday", Cancellation));
        await host.TrackAsync();
        Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Csv, "Depot, Tuesday", Cancellation));
        await host.TrackAsync();
        Assert.Equal("uuid-names-42", (await host.RowAsync(wanted.Id)).RequestUuid);

        var found = await host.Exports().ListAsync(EngineTestHost.Alice, new ExportQuery { Search = search }, Cancellation);
        var foundByAdmin = await host.Exports().ListAsync(EngineTestHost.Admin, new ExportQuery { AllUsers = true, Search = search }, Cancellation);

        Assert.Equal([wanted.Id], found.Items.Select(e => e.Id));
        Assert.Equal([wanted.Id], foundByAdmin.Items.Select(e => e.Id));
        Assert.Equal("Fleet, Monday", found.Items[0].Name);
    }

    [Fact]
    public async Task ASearchForPercentOrUnderscoreMatchesOnlyThoseCharacters()
    {
        await using var host = await EngineTestHost.StartAsync(new StubUpstream());
        var wanted = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, "100% fleet_a", Cancellation));
        Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(3), FileFormat.Csv, "100 fleetXa", Cancellation));

        var found = await host.Exports().ListAsync(EngineTestHost.Alice, new ExportQuery { Search = "0% fleet_" }, Cancellation);

        Assert.Equal([wanted.Id], found.Items.Select(e => e.Id));
    }

    [Fact]
    public async Task ARequestStoredBeforeNamesIsShownUnderItsDefaultNameInUtc()
    {
        await using var host = await EngineTestHost.StartAsync(new StubUpstream());
        var id = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Avro, Cancellation)).Id;
        await host.UpdateAsync(id, e => e.Name = null);

        var listed = Assert.Single((await host.Exports().ListAsync(EngineTestHost.Alice, new ExportQuery { Search = "avro" }, Cancellation)).Items);
        var details = await host.Exports().GetAsync(EngineTestHost.Alice, id, Cancellation);

        var expected = ExportNames.Default(FileFormat.Avro, EngineTestHost.Day(), TimeZoneInfo.Utc);
        Assert.Equal(expected, listed.Name);
        Assert.Equal(expected, details!.Summary.Name);
    }

    [Fact]
    public async Task TheNoticeOfAnEndNamesItsExport()
    {
        var upstream = new StubUpstream();
        upstream.EnqueuePost(_ => StubUpstream.Problem(System.Net.HttpStatusCode.BadRequest, "Bad Request"));
        await using var host = await EngineTestHost.StartAsync(upstream);
        var id = Accepted(await host.Exports().SubmitAsync(EngineTestHost.Alice, EngineTestHost.Day(), FileFormat.Csv, "Fleet, Monday", Cancellation)).Id;

        await host.TrackAsync();

        await using var db = await host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
        var notice = await db.ExportNotices.SingleAsync(n => n.ExportId == id, Cancellation);
        Assert.Equal(ExportStatus.Failed, notice.Status);
        Assert.StartsWith("\u201cFleet, Monday\u201d failed", notice.Text, StringComparison.Ordinal);
    }
}
