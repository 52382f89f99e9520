extern alias simulator;

using Microsoft.Extensions.DependencyInjection;
using Portal.Exports;
using simulator::DeviceApi.Simulator;
using simulator::DeviceApi.Simulator.Api;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Exports;

/// <summary>
/// An accepted POST is a paid job: counted at the simulator, the portal starts at most one upstream job per request,
/// and says so when it cannot know whether it did.
/// </summary>
public class ExactlyOnceTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static IReadOnlyList<V3Call> CallsAt(SimulatorServer simulator) =>
        [.. simulator.Services.GetRequiredService<V3CallLog>().Calls];

    [Theory]
    [InlineData(LostAcceptance.BadGateway)]
    [InlineData(LostAcceptance.DroppedConnection)]
    public async Task AnAcceptedPostWhoseAnswerIsLostIsUnconfirmedAndNeverPostedAgain(LostAcceptance lost)
    {
        await using var portal = await PortalFactory.StartAsync(options =>
        {
            options.Faults.LostAcceptanceRate = 1;
            options.Faults.LostAcceptanceAs = lost;
        });
        var alice = User("Alice");

        var id = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Csv, Cancellation));
        var unconfirmed = await portal.WaitForStatusAsync(id, ExportStatus.Unconfirmed);

        // Another request followed to its end shows the tracker went on working meanwhile.
        portal.Simulator.Reconfigure(options => options.Faults.LostAcceptanceRate = 0);
        var other = Accepted(await portal.Exports().SubmitAsync(alice, Day(3), FileFormat.Csv, Cancellation));
        await portal.WaitForStatusAsync(other, ExportStatus.Completed);

        Assert.Equal(2, CallsAt(portal.Simulator).Count(c => c.Method == "POST"));
        var row = await portal.RowAsync(id);
        Assert.Equal(ExportStatus.Unconfirmed, row.Status);
        Assert.Null(row.RequestUuid);
        Assert.Equal(1, row.SubmitAttempts);
        Assert.Contains("POST /v3/devices/status", unconfirmed.Events.OrderBy(e => e.Id).Last().Detail, StringComparison.Ordinal);
        var details = await portal.Exports().GetAsync(alice, id, Cancellation);
        Assert.Equal("The device platform may have started this export but did not confirm it.", details!.Summary.LastError);
    }

    [Fact]
    public async Task SubmittingAnUnconfirmedRequestAgainStartsExactlyOneMoreJob()
    {
        await using var portal = await PortalFactory.StartAsync(options => options.Faults.LostAcceptanceRate = 1);
        var alice = User("Alice");
        var id = Accepted(await portal.Exports().SubmitAsync(alice, Day(), FileFormat.Json, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Unconfirmed);
        portal.Simulator.Reconfigure(options => options.Faults.LostAcceptanceRate = 0);

        Assert.True(await portal.Exports().SubmitAgainAsync(alice, id, Cancellation));
        await portal.WaitForStatusAsync(id, ExportStatus.Completed);

        Assert.Equal(2, CallsAt(portal.Simulator).Count(c => c.Method == "POST"));
    }

    [Fact]
    public async Task TwoInstancesWithShortLeasesAndASlowUpstreamNeverPollOneRequestAtOnce()
    {
        await using var simulator = await PortalFactory.StartSimulatorAsync(options =>
        {
            options.Faults.AddedLatency = TimeSpan.FromSeconds(1);
            options.MinimumPreparationTime = TimeSpan.FromSeconds(2);
        });
        var database = Path.Combine(Path.GetTempPath(), "portal-integration", $"leases-{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string?>
        {
            ["Tracking:LeaseDuration"] = "00:00:06",
            ["Upstream:Timeout"] = "00:00:05",
            ["Upstream:AttemptTimeout"] = "00:00:04.500",
            ["Upstream:MaxGetRetries"] = "0",
            ["Tracking:MaxParallelCalls"] = "8",
        };
        var a = new UpstreamRecorder();
        var b = new UpstreamRecorder();
        var first = await PortalFactory.StartAsync(simulator: simulator, databasePath: database, settings: settings, recorder: a);
        var second = await PortalFactory.StartAsync(simulator: simulator, databasePath: database, settings: settings, recorder: b);
        try
        {
            var ids = new List<Guid>();
            for (var i = 0; i < 12; i++)
            {
                ids.Add(Accepted(await (i % 2 == 0 ? first : second).Exports().SubmitAsync(User($"User{i}"), Day(i + 2), FileFormat.Csv, Cancellation)));
            }
            foreach (var id in ids)
            {
                await first.WaitForStatusAsync(id, ExportStatus.Completed, TimeSpan.FromSeconds(60));
            }

            var calls = CallsAt(simulator);
            Assert.Equal(ids.Count, calls.Count(c => c.Method == "POST"));
            foreach (var polls in calls.Where(c => c.Method == "GET").GroupBy(c => c.RequestUuid))
            {
                var ordered = polls.OrderBy(c => c.StartedAt).ToList();
                foreach (var (previous, next) in ordered.Zip(ordered.Skip(1)))
                {
                    Assert.True(next.StartedAt >= previous.EndedAt,
                        $"{polls.Key} was polled at {next.StartedAt:HH:mm:ss.fff} while a poll that started at {previous.StartedAt:HH:mm:ss.fff} was still answering");
                }
            }
            Assert.True(a.Calls.Any(c => c.Method == "GET") && b.Calls.Any(c => c.Method == "GET"), "both instances polled");
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
            foreach (var file in Directory.GetFiles(Path.GetDirectoryName(database)!, Path.GetFileName(database) + "*"))
            {
                File.Delete(file);
            }
        }
    }
}
