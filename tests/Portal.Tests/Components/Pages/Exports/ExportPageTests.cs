using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Pages.Exports;
using Portal.Exports;
using TestContext = Xunit.TestContext;

namespace Portal.Tests.Components.Pages.Exports;

public class ExportPageTests : ExportTestContext
{
    // The files table asks for the sizes it lacks only once interactive, as in a live circuit.
    public ExportPageTests() => SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: true));

    private ExportDetails AddDetails(ExportSummary summary, IReadOnlyList<ExportFileInfo>? files = null, IReadOnlyList<ExportEventInfo>? timeline = null)
    {
        var details = new ExportDetails(summary, "ada@example.com", "6f1c0c2e-5d0b-4a57-9a57-0f1b7c3f4d21", null, files ?? [], timeline ?? []);
        Service.Details[summary.Id] = details;
        return details;
    }

    private IRenderedComponent<ExportPage> RenderPage(Guid id)
    {
        Render<MudPopoverProvider>();
        return Render<ExportPage>(p => p.Add(c => c.Id, id));
    }

    [Theory]
    [InlineData(ExportStatus.Queued)]
    [InlineData(ExportStatus.Submitted)]
    [InlineData(ExportStatus.InProgress)]
    public void AnOpenRequestShowsProgressAndElapsedTimeAndCanBeCancelled(ExportStatus status)
    {
        var export = AddExport(status, createdAt: Clock.GetUtcNow().AddMinutes(-2).AddSeconds(-13));
        AddDetails(export);

        var page = RenderPage(export.Id);

        Assert.Equal(status.ToString(), page.Find("[data-testid=export-status]").GetAttribute("data-status"));
        Assert.Contains(status.DisplayName(), page.Find("[data-testid=export-progress]").TextContent, StringComparison.Ordinal);
        Assert.Contains("2m 13s", page.Find("[data-testid=elapsed]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Cancel", page.Find("[data-testid=cancel-export]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=rerun-export]"));
        Assert.Contains("The files appear here when the export completes.", page.Find("[data-testid=files-pending]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=download-file]"));
        Assert.Empty(page.FindAll("[data-testid=export-trouble]"));
    }

    [Fact]
    public void AnOpenRequestWhoseUpstreamFailsSaysThePortalKeepsTrying()
    {
        var failing = AddExport(ExportStatus.Submitted) with { LastError = "The upstream answered 503 Service Unavailable." };
        AddDetails(failing);

        var trouble = RenderPage(failing.Id).Find("[data-testid=export-trouble]").TextContent;
        Assert.Contains("503 Service Unavailable", trouble, StringComparison.Ordinal);
        Assert.Contains("keeps trying", trouble, StringComparison.Ordinal);
    }

    [Fact]
    public void ACompletedRequestListsItsFilesWithDownloads()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 2, rowCount: 1_440_000);
        AddDetails(export,
        [
            new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(14).AddSeconds(5), RowCount: 1_000_000, SizeBytes: 52_428_800),
            new ExportFileInfo(1, "part-00001.csv", Clock.GetUtcNow().AddMinutes(14).AddSeconds(5), RowCount: 440_000),
        ]);

        var page = RenderPage(export.Id);

        Assert.Equal("Completed", page.Find("[data-testid=export-status]").GetAttribute("data-status"));
        var downloads = page.FindAll("[data-testid=download-file]");
        Assert.Equal([$"exports/{export.Id}/files/0", $"exports/{export.Id}/files/1"], downloads.Select(d => d.GetAttribute("href")));
        Assert.All(downloads, d => Assert.True(d.HasAttribute("download")));
        var rows = page.FindAll("[data-testid=file-row]");
        Assert.Contains("1,000,000", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("50 MB", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("440,000", rows[1].TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=export-progress]"));
        Assert.Equal("Re-run", page.Find("[data-testid=rerun-export]").TextContent.Trim());
        Assert.Equal("Delete", page.Find("[data-testid=delete-export]").TextContent.Trim());
    }

    [Theory]
    [InlineData(Portal.Downloads.DownloadMode.Redirect, true)]
    [InlineData(Portal.Downloads.DownloadMode.Proxy, false)]
    public void EachFileIsNamedAfterItsExportAndRedirectModeSaysTheDevicePlatformNamesIt(Portal.Downloads.DownloadMode mode, bool noted)
    {
        DownloadOptions.Mode = mode;
        var export = AddExport(ExportStatus.Completed, fileCount: 1, rowCount: 60);
        AddDetails(export, [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(14))]);

        var page = RenderPage(export.Id);

        var name = $"device-status_CSV_{export.Range.From.UtcDateTime:yyyy-MM-dd'T'HHmm}Z_{export.Range.To.UtcDateTime:yyyy-MM-dd'T'HHmm}Z_part-00000.csv";
        Assert.Equal(name, page.Find("[data-testid=file-name]").TextContent.Trim());
        Assert.Equal(name, page.Find("[data-testid=download-file]").GetAttribute("download"));
        Assert.Equal(noted, page.FindAll("[data-testid=download-name-note]").Count == 1);
    }

    [Fact]
    public void APreviewShowsTheFirstRowsTypedAndTheColumnFactsAndTheZipIsOffered()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 2, rowCount: 1_440_000);
        AddDetails(export,
        [
            new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(14), RowCount: 1_000_000, SizeBytes: 1_048_576),
            new ExportFileInfo(1, "part-00001.csv", Clock.GetUtcNow().AddMinutes(14), RowCount: 440_000, SizeBytes: 1_048_576),
        ]);
        var rows = Enumerable.Range(0, 100).Select(i => new DeviceStatus.Formats.DeviceStatusRow(
            $"dev-{i % 3:D6}", new DateTime(2026, 11, 27, 0, i / 3, 0, DateTimeKind.Utc), i % 10 == 0 ? "offline" : "online",
            i % 10 == 0 ? null : 50 + i, i % 10 == 0 ? null : 20.5, i % 10 == 0 ? null : -60 - i, "3.2.1")).ToList();
        Previews.Outcome = new Portal.Previews.PreviewOutcome.Shown(new DeviceStatus.Formats.Preview.FilePreview(
            rows, DeviceStatus.Formats.Preview.FilePreview.FactsOf(rows), 1_048_576, 65_536, null));

        var page = RenderPage(export.Id);
        Assert.Equal($"exports/{export.Id}/files/all.zip", page.Find("[data-testid=download-all]").GetAttribute("href"));
        Assert.Contains("2 MB in all", page.Find("[data-testid=files-total]").TextContent, StringComparison.Ordinal);
        page.FindAll("[data-testid=preview-file]")[1].Click();

        page.WaitForAssertion(() => Assert.Equal(100, page.FindAll("[data-testid=preview-row]").Count));
        Assert.Equal([1], Previews.Previewed);
        Assert.Contains("int32, nullable", page.Find("[data-testid=preview-grid] thead").TextContent, StringComparison.Ordinal);
        var facts = page.FindAll("[data-testid=column-fact]");
        Assert.Equal(7, facts.Count);
        var battery = page.Find("[data-testid=column-fact][data-column=battery_pct]").TextContent;
        Assert.Contains("10", battery, StringComparison.Ordinal);
        Assert.Equal("3", page.Find("[data-testid=column-fact][data-column=device_id]").Children[4].TextContent);
    }

    [Fact]
    public void TheFilesShowNoLinkCountdownBecauseEachDownloadRenewsItsLink()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 1);
        AddDetails(export, [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddSeconds(90))]);

        var page = RenderPage(export.Id);

        Assert.Equal("0", Assert.Single(page.FindAll("[data-testid=file-row]")).GetAttribute("data-part"));
        Assert.Empty(page.FindAll("[data-testid=link-validity]"));
        Assert.DoesNotContain("valid for", page.Find("[data-testid=file-row]").Closest("table")!.TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExportStatus.Failed, "The upstream rejected the range.")]
    [InlineData(ExportStatus.TimedOut, "took longer")]
    [InlineData(ExportStatus.Cancelled, "was cancelled")]
    [InlineData(ExportStatus.Expired, "no longer kept")]
    public void AnEndedRequestSaysWhyAndOffersARerun(ExportStatus status, string explanation)
    {
        var export = AddExport(status, lastError: status == ExportStatus.Failed ? "The upstream rejected the range." : null);
        AddDetails(export);

        var page = RenderPage(export.Id);

        Assert.Equal(status.ToString(), page.Find("[data-testid=export-status]").GetAttribute("data-status"));
        Assert.Contains(explanation, page.Find("[data-testid=export-problem]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Re-run", page.Find("[data-testid=rerun-export]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=cancel-export]"));
        Assert.Empty(page.FindAll("[data-testid=download-file]"));
    }

    [Fact]
    public void ShowsTheParametersAndTheTimelineNewestFirst()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 1, format: FileFormat.Parquet);
        AddDetails(export, [new ExportFileInfo(0, "part-00000.parquet", Clock.GetUtcNow().AddMinutes(10))],
        [
            new ExportEventInfo(export.CreatedAt, null, ExportStatus.Queued, "Ada User", null),
            new ExportEventInfo(export.CreatedAt.AddSeconds(1), ExportStatus.Queued, ExportStatus.Submitted, "portal", null),
            new ExportEventInfo(export.CreatedAt.AddSeconds(40), ExportStatus.Submitted, ExportStatus.Completed, "tracker", "1440 rows"),
            new ExportEventInfo(export.CreatedAt.AddSeconds(90), ExportStatus.Completed, ExportStatus.Completed, "Ada User", "part 0"),
        ]);

        var page = RenderPage(export.Id);

        var parameters = page.Find("[data-testid=export-parameters]").TextContent;
        Assert.Contains("PARQUET", parameters, StringComparison.Ordinal);
        Assert.Contains(FileFormat.Parquet.Description(), parameters, StringComparison.Ordinal);
        Assert.Contains("6f1c0c2e-5d0b-4a57-9a57-0f1b7c3f4d21", parameters, StringComparison.Ordinal);
        Assert.Contains($"[{export.Range.From:yyyy-MM-dd'T'HH:mm:ss'Z'}, {export.Range.To:yyyy-MM-dd'T'HH:mm:ss'Z'})", parameters, StringComparison.Ordinal);
        var entries = page.FindAll("[data-testid=timeline-entry]");
        Assert.Equal(4, entries.Count);
        Assert.Contains("Downloaded", entries[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("part 0", entries[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("Submitted → Completed", entries[1].TextContent, StringComparison.Ordinal);
        Assert.Contains("Queued", entries[3].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FollowsTheRequestLiveWhenThePublisherRaisesAChange()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var page = RenderPage(export.Id);
        Assert.Equal("InProgress", page.Find("[data-testid=export-status]").GetAttribute("data-status"));

        var completed = export with { Status = ExportStatus.Completed, FileCount = 1, RowCount = 60_000 };
        AddDetails(completed, [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(15))]);
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60_000, 1),
            TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Equal("Completed", page.Find("[data-testid=export-status]").GetAttribute("data-status")));
        Assert.Single(page.FindAll("[data-testid=download-file]"));
    }

    [Fact]
    public async Task ANoteOnTheTimelineIsShownAsItCameWithoutReadingTheRequestAgain()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export, timeline: [new ExportEventInfo(Clock.GetUtcNow().AddMinutes(-1), ExportStatus.Submitted, ExportStatus.InProgress, "device platform", null)]);
        var page = RenderPage(export.Id);
        var reads = Service.DetailReads;

        // The request as stored now says the same; the page must not need it.
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.InProgress, Clock.GetUtcNow(),
            "The device platform answered 503.", null, 0, Version: 5, EventId: 9, Actor: "tracker", LastError: "The device platform answered 503."),
            TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=timeline-entry]").Count));
        var newest = page.FindAll("[data-testid=timeline-entry]")[0].TextContent;
        Assert.Contains("by tracker", newest, StringComparison.Ordinal);
        Assert.Contains("The device platform answered 503.", newest, StringComparison.Ordinal);
        Assert.Contains("503", page.Find("[data-testid=export-trouble]").TextContent, StringComparison.Ordinal);
        Assert.Equal(reads, Service.DetailReads);
    }

    [Fact]
    public async Task ANoteRendersTheTimelineAloneNotThePageAroundIt()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var page = RenderPage(export.Id);
        var rest = page.FindComponent<MudBreadcrumbs>();
        var renders = rest.RenderCount;

        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.InProgress, Clock.GetUtcNow(),
            "Checked.", null, 0, Version: 5, EventId: 9, Actor: "tracker"), TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Contains("Checked.", page.Find("[data-testid=timeline-entry]").TextContent, StringComparison.Ordinal));
        Assert.Equal(renders, rest.RenderCount);
    }

    [Fact]
    public async Task ANoteThePageReadAlreadyIsNotShownTwice()
    {
        var export = AddExport(ExportStatus.InProgress);
        var at = Clock.GetUtcNow().AddSeconds(-1);
        AddDetails(export, timeline: [new ExportEventInfo(at, ExportStatus.InProgress, ExportStatus.InProgress, "tracker", "Checked.")]);
        var page = RenderPage(export.Id);

        // Saved between the page's subscription and its read, then pushed.
        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, ExportStatus.InProgress, ExportStatus.InProgress, at, "Checked.", null, 0,
            Version: 3, EventId: 7, Actor: "tracker"), TestContext.Current.CancellationToken);

        Assert.Single(page.FindAll("[data-testid=timeline-entry]"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AChangeOfStatusOrOfADeliveryIsReadAgain(bool delivery)
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var page = RenderPage(export.Id);
        var reads = Service.DetailReads;
        var (previous, status) = delivery ? (ExportStatus.InProgress, ExportStatus.InProgress) : (ExportStatus.InProgress, ExportStatus.Failed);
        AddDetails(export with { Status = status, LastError = "Rejected." });

        await Changes.PublishAsync(new ExportChanged(export.Id, UserId, previous, status, Clock.GetUtcNow(), "Rejected.", null, 0,
            Version: 4, EventId: 8, DeliveryId: delivery ? 1 : null, Actor: "device platform"), TestContext.Current.CancellationToken);

        page.WaitForAssertion(() => Assert.Equal(reads + 1, Service.DetailReads));
        Assert.Equal(status.ToString(), page.Find("[data-testid=export-status]").GetAttribute("data-status"));
    }

    [Fact]
    public void TheStepsAndTheTimelineOfAnOpenRequestAreDrawnWithoutAComponentEach()
    {
        var export = AddExport(ExportStatus.Submitted);
        AddDetails(export, timeline: [.. Enumerable.Range(1, 5).Select(i => new ExportEventInfo(
            Clock.GetUtcNow().AddMinutes(-i), ExportStatus.Submitted, ExportStatus.Submitted, "tracker", $"Checked {i}."))]);

        var page = RenderPage(export.Id);

        Assert.Equal(5, page.FindAll("[data-testid=timeline-entry]").Count);
        Assert.Equal(["true", "true", "false", "false"], page.FindAll("[data-testid=export-step]").Select(s => s.GetAttribute("data-reached")));
        Assert.Equal(["Queued", "Submitted", "In Progress", "Completed"], page.FindAll("[data-testid=export-step]").Select(s => s.TextContent.Trim()));
        // With thousands of pages open each component costs every circuit about 4.5 KB: the page of an open request
        // stays small however long its timeline grows.
        var components = page.FindComponents<IComponent>().Count;
        Assert.True(components <= 35, $"{components} components");
    }

    [Fact]
    public async Task IgnoresChangesOfOtherRequests()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var page = RenderPage(export.Id);
        Service.Details[export.Id] = Service.Details[export.Id] with { Summary = export with { Status = ExportStatus.Failed } };

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, null, 1),
            TestContext.Current.CancellationToken);

        Assert.Equal("InProgress", page.Find("[data-testid=export-status]").GetAttribute("data-status"));
    }

    [Fact]
    public async Task ListensToItsOwnRequestOnlyAndDoesNotRenderAgainOnAnotherRequestsChange()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var page = RenderPage(export.Id);
        var rest = page.FindComponent<MudBreadcrumbs>();
        var renders = rest.RenderCount;

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, null, 1),
            TestContext.Current.CancellationToken);

        // With thousands of pages open, a change wakes the one page of its request, not every page.
        Assert.Equal([export.Id], Changes.ExportScopes);
        Assert.Equal(renders, rest.RenderCount);
    }

    [Fact]
    public void TheClockOfAnOpenRequestTicksAloneWithoutRenderingThePageAgain()
    {
        var export = AddExport(ExportStatus.InProgress, createdAt: Clock.GetUtcNow().AddSeconds(-10));
        AddDetails(export);
        var page = RenderPage(export.Id);
        var clock = page.FindComponent<ExportClock>();
        // A render count in bUnit includes the children's renders: the breadcrumbs (a list parameter) render again
        // whenever the page itself does.
        var rest = page.FindComponent<MudBreadcrumbs>();
        var (restRenders, clockRenders) = (rest.RenderCount, clock.RenderCount);

        Clock.Advance(TimeSpan.FromSeconds(5));

        page.WaitForAssertion(() => Assert.Contains("15s", page.Find("[data-testid=elapsed]").TextContent, StringComparison.Ordinal));
        Assert.True(clock.RenderCount > clockRenders);
        Assert.Equal(restRenders, rest.RenderCount);
    }

    [Fact]
    public async Task StopsListeningWhenLeft()
    {
        var export = AddExport(ExportStatus.InProgress);
        AddDetails(export);
        var before = Changes.SubscriberCount;
        RenderPage(export.Id);
        Assert.Equal(before + 1, Changes.SubscriberCount);

        await DisposeComponentsAsync();

        Assert.Equal(0, Changes.SubscriberCount);
    }

    [Fact]
    public void ARequestThatIsNotTheUsersIsNotFound()
    {
        var foreign = AddExport(ExportStatus.Completed, ownerId: "bob", ownerName: "Bob", fileCount: 1);
        AddDetails(foreign, [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(10))]);

        var page = RenderPage(foreign.Id);

        Assert.Contains("not yours to see", page.Find("[data-testid=export-not-found]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=download-file]"));
    }

    [Fact]
    public void AnAdminSeesAnyRequestWithItsOwnerAndCanActForThem()
    {
        SignInAs("admin-1", "Ann Admin", admin: true);
        var foreign = AddExport(ExportStatus.InProgress, ownerId: "bob", ownerName: "Bob");
        AddDetails(foreign);

        var page = RenderPage(foreign.Id);

        Assert.Contains("Bob", page.Find("[data-testid=export-parameters]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Cancel", page.Find("[data-testid=cancel-export]").TextContent.Trim());
        Assert.Contains("All exports", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void AUserDoesNotSeeAdminOnlyDetails()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 1);
        AddDetails(export, [new ExportFileInfo(0, "part-00000.csv", Clock.GetUtcNow().AddMinutes(10))]);

        var page = RenderPage(export.Id);

        Assert.DoesNotContain("Owner", page.Find("[data-testid=export-parameters]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("All exports", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void DeletingReturnsToTheHistory()
    {
        var export = AddExport(ExportStatus.Completed, fileCount: 1);
        AddDetails(export);
        var dialogs = Render<MudDialogProvider>();
        var page = RenderPage(export.Id);

        page.Find("[data-testid=delete-export]").Click();
        dialogs.WaitForAssertion(() => dialogs.FindAll("button").First(b => b.TextContent.Trim() == "Delete").Click());

        page.WaitForAssertion(() => Assert.EndsWith("/exports", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal));
        Assert.Equal([export.Id], Service.Deleted);
    }

    [Fact]
    public void ReRunOpensTheNewRequest()
    {
        var export = AddExport(ExportStatus.Failed);
        AddDetails(export);
        var page = RenderPage(export.Id);

        page.Find("[data-testid=rerun-export]").Click();

        Assert.Equal([export.Id], Service.Reruns);
        var uri = Services.GetRequiredService<NavigationManager>().Uri;
        Assert.Matches("/exports/[0-9a-f-]{36}$", uri);
        Assert.DoesNotContain(export.Id.ToString(), uri, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnconfirmedRequestSaysWhatHappenedAndOffersSubmitAgainAndCancel()
    {
        var export = AddExport(ExportStatus.Unconfirmed);
        AddDetails(export);

        var page = RenderPage(export.Id);

        Assert.Equal("Unconfirmed", page.Find("[data-testid=export-status]").GetAttribute("data-status"));
        var panel = page.Find("[data-testid=export-unconfirmed]").TextContent;
        Assert.Contains("may have started this export but did not confirm it", panel, StringComparison.Ordinal);
        Assert.Contains("billed", panel, StringComparison.Ordinal);
        Assert.Equal("Submit again…", page.Find("[data-testid=submit-again]").TextContent.Trim());
        Assert.Equal("Cancel it", page.Find("[data-testid=cancel-unconfirmed]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=export-progress]"));
    }

    [Theory]
    [InlineData("Don't submit", false)]
    [InlineData("Submit again, possibly billed twice", true)]
    public void SubmitAgainHappensOnlyAfterTheUserAcceptsTheWarning(string answer, bool submitted)
    {
        var export = AddExport(ExportStatus.Unconfirmed);
        AddDetails(export);
        var dialogs = Render<MudDialogProvider>();
        var page = RenderPage(export.Id);

        page.Find("[data-testid=submit-again]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("second export", dialogs.Markup, StringComparison.Ordinal));
        Assert.Empty(Service.SubmittedAgain);
        dialogs.FindAll("button").First(b => b.TextContent.Trim() == answer).Click();
        dialogs.WaitForAssertion(() => Assert.DoesNotContain("second export", dialogs.Markup, StringComparison.Ordinal));

        page.WaitForAssertion(() => Assert.Equal(submitted ? [export.Id] : [], Service.SubmittedAgain));
        Assert.Equal(submitted, page.Markup.Contains("being submitted again", StringComparison.Ordinal)
            || Services.GetRequiredService<ISnackbar>().ShownSnackbars.Any(s => s.Message?.Contains("being submitted again", StringComparison.Ordinal) == true));
    }
}
