using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Portal.Downloads;
using Portal.Exports;
using Portal.Security;
using Portal.Upstream;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Security;

/// <summary>The portal's outbound clients as wired in <c>Program</c>, against the simulator on its loopback port.</summary>
public class OutboundGuardTests(LoggedPortalFactory portal) : IClassFixture<LoggedPortalFactory>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(nameof(DeviceStatusClient))]
    [InlineData(UpstreamTokenProvider.HttpClientName)]
    [InlineData(DownloadEndpoints.HttpClientName)]
    public async Task AHostThatIsNotAllowedIsRefusedOnceAndNothingLeaves(string clientName)
    {
        // A listener on another loopback port: the same machine, but not the upstream's authority.
        var elsewhere = new TcpListener(IPAddress.Loopback, 0);
        elsewhere.Start();
        try
        {
            var port = ((IPEndPoint)elsewhere.LocalEndpoint).Port;
            var client = portal.Services.GetRequiredService<IHttpClientFactory>().CreateClient(clientName);
            var callsBefore = portal.Upstream.Calls.Count;

            var refused = await Assert.ThrowsAsync<OutboundRequestRefusedException>(
                () => client.GetAsync($"http://127.0.0.1:{port}/v3/devices/status/x", Cancellation));

            Assert.Contains($"127.0.0.1:{port}", refused.Message, StringComparison.Ordinal);
            Assert.False(elsewhere.Pending(), "a connection reached the refused host");
            Assert.Equal(callsBefore, portal.Upstream.Calls.Count);
            // The guard sits outside the resilience handler: a refusal is final, not retried.
            Assert.Single(portal.Logs.Entries, e => e.Contains($"{clientName} refused a request to http://127.0.0.1:{port}", StringComparison.Ordinal));
        }
        finally
        {
            elsewhere.Stop();
        }
    }

    [Fact]
    public async Task UpstreamCallsAndDownloadsToTheUpstreamsHostPassTheGuard()
    {
        var user = User("Olga Outbound");
        var id = Accepted(await portal.Exports().SubmitAsync(user, Day(), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);
        var link = await portal.Exports().GetDownloadAsync(user, id, 0, Cancellation);
        Assert.NotNull(link);
        var downloads = portal.Services.GetRequiredService<IHttpClientFactory>().CreateClient(DownloadEndpoints.HttpClientName);

        var csv = await downloads.GetStringAsync(link.Url, Cancellation);

        Assert.StartsWith("device_id,timestamp,status", csv, StringComparison.Ordinal);
        Assert.Equal(3 * 1440 + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain(portal.Logs.Entries, e => e.Contains("refused a request", StringComparison.Ordinal) && e.Contains(portal.Simulator.BaseAddress.Authority, StringComparison.Ordinal));
    }
}
