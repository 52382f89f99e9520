using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using Portal.Notifications;
using Portal.Security;
using Portal.Testing;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal with hub connections re-checked every second, signed in through the real development sign-in.</summary>
public sealed class FastRevalidationPortalFactory : LoggedPortalFactory
{
    public FastRevalidationPortalFactory() => Settings["Security:RevalidationInterval"] = "00:00:01";
}

public class HubRevalidationTests(FastRevalidationPortalFactory portal) : IClassFixture<FastRevalidationPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A hub connection on the session cookie of <paramref name="name"/>, signed in as the browser would.</summary>
    private async Task<(HubConnection Connection, ConcurrentQueue<ExportChanged> Received, TaskCompletionSource Closed)> ConnectAsync(string name, bool admin)
    {
        var cookies = new CookieContainer();
        using (var client = new HttpClient(new CookieContainerHandler(cookies) { InnerHandler = portal.Server.CreateHandler() })
        {
            BaseAddress = portal.Server.BaseAddress,
        })
        {
            await client.SignInAsync(name, admin);
        }
        var received = new ConcurrentQueue<ExportChanged>();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(portal.Server.BaseAddress, ExportsHub.Path), options =>
            {
                options.HttpMessageHandlerFactory = _ => new CookieContainerHandler(cookies) { InnerHandler = portal.Server.CreateHandler() };
                options.Transports = HttpTransportType.LongPolling;
            })
            .Build();
        connection.On<ExportChanged>(ExportsHub.ExportChangedMethod, received.Enqueue);
        connection.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        await connection.StartAsync(Cancellation);
        return (connection, received, closed);
    }

    [Fact]
    public async Task AFormerAdminStopsReceivingOtherUsersChanges()
    {
        var (former, formerReceived, formerClosed) = await ConnectAsync("Hub Former Admin", admin: true);
        var (current, currentReceived, _) = await ConnectAsync("Hub Current Admin", admin: true);
        await using var _ = former;
        await using var __ = current;
        var store = portal.Services.GetRequiredService<DevelopmentUserStore>();
        var formerId = DevelopmentUserStore.IdFor("Hub Former Admin");

        Assert.True(store.SetAdmin(formerId, isAdmin: false));
        await formerClosed.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        var id = Accepted(await portal.Exports().SubmitAsync(User("HubOtherOwner"), Day(), FileFormat.Csv, Cancellation));
        await Eventually.HoldsAsync(() => currentReceived.Any(c => c.ExportId == id), "the current admin's hub connection to hear the new export");

        Assert.DoesNotContain(formerReceived, c => c.ExportId == id);
        Assert.Equal(HubConnectionState.Disconnected, former.State);
        Assert.Equal(HubConnectionState.Connected, current.State);
        Assert.Contains(portal.Logs.Entries, e => e.Contains($"{formerId}", StringComparison.Ordinal)
            && e.Contains("the admin role was withdrawn (hub connection)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AConnectionOfARemovedUserIsClosed()
    {
        var (connection, _, closed) = await ConnectAsync("Hub Removed User", admin: false);
        await using var _ = connection;
        var store = portal.Services.GetRequiredService<DevelopmentUserStore>();
        var id = DevelopmentUserStore.IdFor("Hub Removed User");

        Assert.True(store.Remove(id));

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
    }
}
