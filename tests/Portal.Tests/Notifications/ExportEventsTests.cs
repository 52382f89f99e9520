using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Tests.Tracking;

namespace Portal.Tests.Notifications;

public class ExportEventsTests
{
    private static ExportChanged Change() =>
        new(Guid.NewGuid(), "alice-oid", ExportStatus.Submitted, ExportStatus.InProgress, DateTimeOffset.UtcNow, null, null, 0);

    [Fact]
    public async Task SubscribersReceiveChangesUntilTheyDisposeTheirSubscription()
    {
        await using var host = await EngineTestHost.StartAsync();
        var events = host.Services.GetRequiredService<IExportEvents>();
        var received = new List<ExportChanged>();
        var subscription = events.Subscribe(change => { received.Add(change); return Task.CompletedTask; });

        var first = Change();
        await events.PublishAsync(first, TestContext.Current.CancellationToken);
        subscription.Dispose();
        await events.PublishAsync(Change(), TestContext.Current.CancellationToken);

        Assert.Equal([first], received);
    }

    [Fact]
    public async Task AFailingSubscriberDoesNotKeepTheChangeFromTheOthers()
    {
        await using var host = await EngineTestHost.StartAsync();
        var events = host.Services.GetRequiredService<IExportEvents>();
        var received = 0;
        using var broken = events.Subscribe(_ => throw new InvalidOperationException("a closed page"));
        using var working = events.Subscribe(_ => { received++; return Task.CompletedTask; });

        await events.PublishAsync(Change(), TestContext.Current.CancellationToken);

        Assert.Equal(1, received);
    }
}
