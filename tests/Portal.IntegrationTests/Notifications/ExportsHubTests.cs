using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Notifications;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Notifications;

public class ExportsHubTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private async Task<(HubConnection Connection, ConcurrentQueue<ExportChanged> Received)> ConnectAsync(ExportUser user)
    {
        var received = new ConcurrentQueue<ExportChanged>();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => portal.Server.CreateHandler();
                options.Transports = HttpTransportType.LongPolling;
                options.Headers[TestAuthentication.Header] = TestAuthentication.For(user);
            })
            .Build();
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, received.Enqueue);
        await connection.StartAsync(Cancellation);
        return (connection, received);
    }

    [Fact]
    public async Task OwnersHearTheirOwnChangesAndAdminsHearEveryone()
    {
        var alice = User("HubAlice");
        var bob = User("HubBob");
        var admin = User("HubAdmin", admin: true);
        var (aliceConnection, aliceReceived) = await ConnectAsync(alice);
        var (bobConnection, bobReceived) = await ConnectAsync(bob);
        var (adminConnection, adminReceived) = await ConnectAsync(admin);
        await using var _ = aliceConnection;
        await using var __ = bobConnection;
        await using var ___ = adminConnection;

        var alicesId = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Csv, Cancellation));
        var bobsId = Accepted(await portal.Exports().SubmitAsync(bob, Day(), FileFormat.Json, Cancellation));
        await portal.WaitForStatusAsync(alicesId, ExportStatus.Completed);
        await portal.WaitForStatusAsync(bobsId, ExportStatus.Completed);
        await WaitUntilAsync(() =>
            aliceReceived.Any(c => c.Status == ExportStatus.Completed)
            && bobReceived.Any(c => c.Status == ExportStatus.Completed)
            && adminReceived.Count(c => c.Status == ExportStatus.Completed) >= 2);

        Assert.All(aliceReceived, c => Assert.Equal(alicesId, c.ExportId));
        Assert.All(bobReceived, c => Assert.Equal(bobsId, c.ExportId));
        Assert.Contains(adminReceived, c => c.ExportId == alicesId);
        Assert.Contains(adminReceived, c => c.ExportId == bobsId);
        Assert.Equal([ExportStatus.Queued, ExportStatus.Submitted], aliceReceived.Select(c => c.Status).Take(2));
        Assert.Equal(ExportStatus.Completed, aliceReceived.Last().Status);
        var completed = aliceReceived.Single(c => c.Status == ExportStatus.Completed);
        Assert.Equal(4320, completed.RowCount);
        Assert.Equal(1, completed.FileCount);
    }

    [Fact]
    public async Task AnAnonymousNegotiateIsRefused()
    {
        using var client = portal.CreateClient();

        using var response = await client.PostAsync($"{ExportsHub.Path}/negotiate?negotiateVersion=1", null, Cancellation);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task EventsCarryNoUrl()
    {
        var user = User("HubCarol");
        var (connection, received) = await ConnectAsync(user);
        await using var _ = connection;
        var id = Accepted(await portal.Exports().SubmitAsync(user, Day(3), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        await WaitUntilAsync(() => received.Any(c => c.Status == ExportStatus.Completed));

        Assert.All(received, c => Assert.DoesNotContain("http", c.ToString(), StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(typeof(ExportChanged).GetProperties(), p => p.PropertyType == typeof(Uri));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the hub delivered the expected changes before the deadline");
            await Task.Delay(50, Cancellation);
        }
    }
}
