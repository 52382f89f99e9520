using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Portal.Components.Layout;
using Portal.Exports;
using TestContext = Xunit.TestContext;

namespace Portal.Tests.Components.Layout;

public class NotificationBellTests : ExportTestContext
{
    private IRenderedComponent<MudSnackbarProvider> _snackbars = default!;
    private IRenderedComponent<MudPopoverProvider> _popovers = default!;

    public NotificationBellTests() => SetRendererInfo(new RendererInfo("Server", isInteractive: true));

    private IRenderedComponent<NotificationBell> RenderBell()
    {
        _popovers = Render<MudPopoverProvider>();
        _snackbars = Render<MudSnackbarProvider>();
        return Render<NotificationBell>();
    }

    private static string BellLabel(IRenderedComponent<NotificationBell> bell) =>
        bell.Find("[data-testid=notification-bell] button").GetAttribute("aria-label")!;

    private ExportNotice AddNotice(ExportStatus status, bool read = false)
    {
        var notice = new ExportNotice(Service.Notices.Count + 1, Guid.NewGuid(), status, Clock.GetUtcNow().AddMinutes(-Service.Notices.Count),
            $"Your CSV export is {status}", read);
        Service.Notices.Add(notice);
        return notice;
    }

    [Fact]
    public void CountsUnreadNoticesThatArrivedWhileTheUserWasAway()
    {
        AddNotice(ExportStatus.Completed);
        AddNotice(ExportStatus.Failed);
        AddNotice(ExportStatus.Completed, read: true);

        var bell = RenderBell();

        Assert.Equal("Notifications, 2 unread", BellLabel(bell));
    }

    [Fact]
    public void ShowsNoCountWhenEverythingIsRead()
    {
        AddNotice(ExportStatus.Completed, read: true);

        var bell = RenderBell();

        Assert.Equal("Notifications", BellLabel(bell));
    }

    [Fact]
    public async Task ACompletionShowsASnackbarWithALinkAndCountsTheNotice()
    {
        var bell = RenderBell();
        var exportId = Guid.NewGuid();
        // The engine stores the notice before it publishes the change.
        Service.Notices.Add(new ExportNotice(1, exportId, ExportStatus.Completed, Clock.GetUtcNow(), "Your CSV export is ready", false));

        await Changes.PublishAsync(new ExportChanged(exportId, UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 60, 1),
            TestContext.Current.CancellationToken);

        _snackbars.WaitForAssertion(() => Assert.Contains("Your CSV export is ready", _snackbars.Markup, StringComparison.Ordinal));
        bell.WaitForAssertion(() => Assert.Equal("Notifications, 1 unread", BellLabel(bell)));

        _snackbars.FindAll("button").First(b => b.TextContent.Trim() == "Open").Click();
        Assert.EndsWith($"/exports/{exportId}", Services.GetRequiredService<NavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailureShowsItsReason()
    {
        RenderBell();

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.Submitted, ExportStatus.Failed, Clock.GetUtcNow(),
            "The upstream rejected the range.", null, 0), TestContext.Current.CancellationToken);

        _snackbars.WaitForAssertion(() => Assert.Contains("Your export failed: The upstream rejected the range.", _snackbars.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StaysQuietForProgressAndForOtherUsers()
    {
        RenderBell();

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.Submitted, ExportStatus.InProgress, Clock.GetUtcNow(), null, null, 0),
            TestContext.Current.CancellationToken);
        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), "someone-else", ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 1, 1),
            TestContext.Current.CancellationToken);

        Assert.Empty(Services.GetRequiredService<ISnackbar>().ShownSnackbars);
    }

    [Fact]
    public async Task ADownloadOfACompletedExportIsNotAnnouncedAgain()
    {
        RenderBell();

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.Completed, ExportStatus.Completed, Clock.GetUtcNow(),
            "Downloaded part-00000.csv.", 1, 1), TestContext.Current.CancellationToken);

        Assert.Empty(Services.GetRequiredService<ISnackbar>().ShownSnackbars);
    }

    [Fact]
    public async Task APrerenderedBellCountsNoticesButLeavesAnnouncingToTheInteractiveOne()
    {
        AddNotice(ExportStatus.Completed);
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        var bell = RenderBell();

        await Changes.PublishAsync(new ExportChanged(Guid.NewGuid(), UserId, ExportStatus.InProgress, ExportStatus.Completed, Clock.GetUtcNow(), null, 1, 1),
            TestContext.Current.CancellationToken);

        Assert.Equal("Notifications, 1 unread", BellLabel(bell));
        Assert.Empty(Services.GetRequiredService<ISnackbar>().ShownSnackbars);
    }

    [Fact]
    public void OpeningTheBellListsTheNoticesAndMarksThemRead()
    {
        var notice = AddNotice(ExportStatus.Completed);
        var bell = RenderBell();

        bell.Find("[data-testid=notification-bell] button").Click();

        bell.WaitForAssertion(() => Assert.Equal(1, Service.MarkReadCalls));
        Assert.Equal("Notifications", BellLabel(bell));
        var item = _popovers.Find("[data-testid=notice]");
        Assert.Contains(notice.Text, item.TextContent, StringComparison.Ordinal);
        Assert.EndsWith($"exports/{notice.ExportId}", item.GetAttribute("href") ?? item.QuerySelector("a")!.GetAttribute("href"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopsListeningWhenTheCircuitEnds()
    {
        RenderBell();
        Assert.Equal(1, Changes.SubscriberCount);

        await DisposeComponentsAsync();

        Assert.Equal(0, Changes.SubscriberCount);
    }

    [Fact]
    public void TheAreaShowsTheBellOnlyToSignedInUsers()
    {
        Authorization.SetNotAuthorized();
        var area = Render<NotificationArea>();
        Assert.Empty(area.FindAll("[data-testid=notification-bell]"));
        Assert.Equal(0, Changes.SubscriberCount);
    }

    [Fact]
    public void TheAreaShowsTheBellToASignedInUser()
    {
        Render<MudPopoverProvider>();
        var area = Render<NotificationArea>();

        Assert.Equal("Notifications", area.Find("[data-testid=notification-bell] button").GetAttribute("aria-label"));
    }

    [Fact]
    public void TheBellSitsInTheAppBarOfEveryPage()
    {
        var layout = Render<MainLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "page body"))));

        Assert.Equal("Notifications", layout.Find("header [data-testid=notification-bell] button").GetAttribute("aria-label"));
    }
}
