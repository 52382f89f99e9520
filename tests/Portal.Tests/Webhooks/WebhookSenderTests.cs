using System.Collections.Concurrent;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Portal.Data;
using Portal.Exports;
using Portal.Testing;
using Portal.Tests.Tracking;
using Portal.Webhooks;

namespace Portal.Tests.Webhooks;

/// <summary>The planner and the sender on one database and a fake clock; receivers are message handlers here.</summary>
public class WebhookSenderTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnEndpointFailingFor24HoursIsDisabledAndItsOwnerGetsANotice()
    {
        var time = TestClock.New();
        var receiver = new Receiver { Answer = _ => new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) };
        await using var host = await StartAsync(time, receiver);
        var endpointId = await AddEndpointAsync(host, EngineTestHost.Alice, "export.queued");
        var exportId = await SubmitAndPlanAsync(host);
        var sender = host.Services.GetRequiredService<WebhookSender>();
        var start = time.GetUtcNow();

        for (var pass = 0; pass < 200 && (await EndpointAsync(host, endpointId)).DisabledAt is null; pass++)
        {
            await sender.SendDueAsync(Cancellation);
            var next = await NextAttemptAsync(host);
            if (next is { } due && due > time.GetUtcNow())
            {
                time.Advance(due - time.GetUtcNow());
            }
        }

        var endpoint = await EndpointAsync(host, endpointId);
        Assert.NotNull(endpoint.DisabledAt);
        // PostgreSQL keeps times to the microsecond: the stored time may be rounded down by less than that.
        Assert.True(endpoint.DisabledAt - start >= TimeSpan.FromHours(24) - TimeSpan.FromMicroseconds(1), $"disabled after {endpoint.DisabledAt - start}");
        Assert.True(endpoint.DisabledAt - start < TimeSpan.FromHours(25), $"disabled after {endpoint.DisabledAt - start}");
        Assert.Contains("HTTP 503", endpoint.DisabledReason, StringComparison.Ordinal);
        await using var db = await DbAsync(host);
        var delivery = await db.Set<WebhookDelivery>().SingleAsync(Cancellation);
        Assert.Equal(WebhookDeliveryState.Failed, delivery.State);
        Assert.Null(delivery.NextAttemptAt);
        Assert.Single(receiver.Requests.Select(r => r.Id).Distinct());
        Assert.Equal(delivery.Attempts, receiver.Requests.Count);
        // The spec's schedule spreads about a dozen attempts over the day; never a flood.
        Assert.InRange(delivery.Attempts, 8, 30);
        var notice = await db.ExportNotices.SingleAsync(n => n.OwnerId == EngineTestHost.Alice.Id, Cancellation);
        Assert.Equal(exportId, notice.ExportId);
        Assert.Contains("webhook", notice.Text, StringComparison.Ordinal);
        Assert.Contains("disabled", notice.Text, StringComparison.Ordinal);

        // Nothing more goes out to a disabled endpoint.
        time.Advance(TimeSpan.FromHours(3));
        await sender.SendDueAsync(Cancellation);
        Assert.Equal(delivery.Attempts, receiver.Requests.Count);
    }

    [Fact]
    public async Task ASenderThatDiesAfterSendingLeavesTheDeliveryToTheNextClaimWithTheSameIdAndBody()
    {
        var time = TestClock.New();
        var receiver = new Receiver();
        receiver.Answer = request => receiver.Requests.Count == 1
            ? throw new InvalidOperationException("the process died before the answer was stored")
            : new HttpResponseMessage(HttpStatusCode.OK);
        await using var host = await StartAsync(time, receiver);
        await AddEndpointAsync(host, EngineTestHost.Alice, "export.queued");
        await SubmitAndPlanAsync(host);
        var first = host.NewSender();
        var second = host.NewSender();

        Assert.Equal(1, await first.SendDueAsync(Cancellation));
        Assert.Equal(0, await second.SendDueAsync(Cancellation));
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await second.SendDueAsync(Cancellation));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, await first.SendDueAsync(Cancellation));

        Assert.Equal(2, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.Id).Distinct());
        Assert.Single(receiver.Requests.Select(r => r.Body).Distinct());
        await using var db = await DbAsync(host);
        var delivery = await db.Set<WebhookDelivery>().SingleAsync(Cancellation);
        Assert.Equal(WebhookDeliveryState.Delivered, delivery.State);
        Assert.Equal(200, Assert.Single(await db.Set<WebhookAttempt>().ToListAsync(Cancellation)).StatusCode);
    }

    [Fact]
    public async Task TwoSendersOnOneDatabaseSendADueDeliveryOnce()
    {
        var time = TestClock.New();
        var receiver = new Receiver();
        await using var host = await StartAsync(time, receiver);
        await AddEndpointAsync(host, EngineTestHost.Alice, "export.queued");
        await SubmitAndPlanAsync(host);

        var claimed = await Task.WhenAll(host.NewSender().SendDueAsync(Cancellation), host.NewSender().SendDueAsync(Cancellation));

        Assert.Equal(1, claimed.Sum());
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task ChangesArePlannedForTheOwnersMatchingEndpointsOnlyWithTheStatusInTheBody()
    {
        var time = TestClock.New();
        await using var host = await StartAsync(time, new Receiver());
        var queued = await AddEndpointAsync(host, EngineTestHost.Alice, "export.queued");
        await AddEndpointAsync(host, EngineTestHost.Alice, "export.completed");
        await AddEndpointAsync(host, EngineTestHost.Bob, "export.queued");

        var exportId = await SubmitAndPlanAsync(host);

        await using var db = await DbAsync(host);
        var delivery = await db.Set<WebhookDelivery>().SingleAsync(Cancellation);
        Assert.Equal(queued, delivery.EndpointId);
        Assert.Equal("export.queued", delivery.EventType);
        using var body = System.Text.Json.JsonDocument.Parse(delivery.Body);
        Assert.Equal("export.queued", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(exportId, body.RootElement.GetProperty("data").GetProperty("id").GetGuid());
        Assert.Equal("Queued", body.RootElement.GetProperty("data").GetProperty("status").GetString());
        var name = body.RootElement.GetProperty("data").GetProperty("name").GetString();
        Assert.Equal((await host.RowAsync(exportId)).Name, name);
        Assert.StartsWith("CSV · ", name, StringComparison.Ordinal);
        Assert.Equal($"/exports/{exportId}", body.RootElement.GetProperty("data").GetProperty("links").GetProperty("page").GetString());
    }

    private static Task<EngineTestHost> StartAsync(FakeTimeProvider time, Receiver receiver) =>
        EngineTestHost.StartAsync(time: time, services: s => s.AddHttpClient(WebhookSender.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => receiver));

    private static async Task<Guid> SubmitAndPlanAsync(EngineTestHost host)
    {
        var outcome = await host.Exports().SubmitAsync(EngineTestHost.Alice, DayBefore(Clock(host)), FileFormat.Csv, Cancellation);
        var id = Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
        await host.DispatchAsync();
        return id;
    }

    private static TimeProvider Clock(EngineTestHost host) => host.Services.GetRequiredService<TimeProvider>();

    /// <summary>The whole UTC day two days before the fake clock's now, as <see cref="EngineTestHost.Day"/> is on the wall clock.</summary>
    private static TimeRange DayBefore(TimeProvider time)
    {
        var day = time.GetUtcNow().UtcDateTime.Date.AddDays(-2);
        return new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
    }

    /// <summary>Stored as registration would store it; registration's own checks are tested over the API.</summary>
    private static async Task<Guid> AddEndpointAsync(EngineTestHost host, ExportUser owner, string events)
    {
        await using var db = await DbAsync(host);
        var endpoint = new WebhookEndpoint
        {
            Id = Guid.NewGuid(),
            OwnerId = owner.Id,
            Url = "https://hooks.example.test/portal",
            Events = events,
            Secret = WebhookSigning.NewSecret(),
            CreatedAt = Clock(host).GetUtcNow(),
        };
        db.Add(endpoint);
        await db.SaveChangesAsync(Cancellation);
        return endpoint.Id;
    }

    private static async Task<WebhookEndpoint> EndpointAsync(EngineTestHost host, Guid id)
    {
        await using var db = await DbAsync(host);
        return await db.Set<WebhookEndpoint>().AsNoTracking().SingleAsync(e => e.Id == id, Cancellation);
    }

    private static async Task<DateTimeOffset?> NextAttemptAsync(EngineTestHost host)
    {
        await using var db = await DbAsync(host);
        return await db.Set<WebhookDelivery>().Where(d => d.State == WebhookDeliveryState.Pending).MinAsync(d => d.NextAttemptAt, Cancellation);
    }

    private static Task<PortalDbContext> DbAsync(EngineTestHost host) =>
        host.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);

    private sealed class Receiver : HttpMessageHandler
    {
        private readonly ConcurrentQueue<(string Id, string Body)> requests = new();

        public Func<HttpRequestMessage, HttpResponseMessage> Answer { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NoContent);

        public IReadOnlyList<(string Id, string Body)> Requests => [.. requests];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            requests.Enqueue((request.Headers.GetValues(WebhookSigning.IdHeader).Single(), await request.Content!.ReadAsStringAsync(cancellationToken)));
            return Answer(request);
        }
    }
}

internal static class WebhookTestHostExtensions
{
    /// <summary>A sender of its own, as another instance on the same database would have.</summary>
    public static WebhookSender NewSender(this EngineTestHost host) => ActivatorUtilities.CreateInstance<WebhookSender>(host.Services);
}
