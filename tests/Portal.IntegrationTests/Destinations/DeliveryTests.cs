using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Destinations;
using Portal.Downloads;
using Portal.Exports;
using Portal.IntegrationTests.Api;
using Portal.Schedules;
using Portal.Testing;

namespace Portal.IntegrationTests.Destinations;

/// <summary>
/// Deliveries end to end on real engines: the simulator over HTTP, the test database, Azurite and the tests' SFTP
/// server from <c>tests/run.sh</c>. Outages of a destination are a <see cref="TcpGate"/> in front of Azurite.
/// </summary>
public sealed class DeliveryTests(DeliveryTests.Fixture fixture) : IClassFixture<DeliveryTests.Fixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly ExportUser Owner = new("delivery-owner", "Dora Delivery", "dora@example.test", IsAdmin: false);
    private static readonly ExportUser Other = new("delivery-other", "Otto Other", "otto@example.test", IsAdmin: false);

    /// <summary>Three devices over a day in parts of 1,440 rows: three files of about 100 KB.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public PortalFactory Portal { get; private set; } = default!;

        /// <summary>A second portal on its own database whose worker does not run: tests drive workers themselves.</summary>
        public PortalFactory Driven { get; private set; } = default!;

        public async ValueTask InitializeAsync()
        {
            var simulator = await PortalFactory.StartSimulatorAsync(o =>
            {
                o.PartSize = 1440;
                o.UrlLifetime = TimeSpan.FromSeconds(2);
            });
            Portal = await PortalFactory.StartAsync(simulator: simulator, settings: Settings(enabled: true));
            Driven = await PortalFactory.StartAsync(simulator: simulator, settings: Settings(enabled: false));
        }

        private static Dictionary<string, string?> Settings(bool enabled) => new()
        {
            ["Deliveries:Enabled"] = enabled ? "true" : "false",
            ["Destinations:AllowPrivateNetworks"] = "true",
            ["Deliveries:PollInterval"] = "00:00:00.100",
            ["Deliveries:RetryDelay"] = "00:00:00.200",
            ["Deliveries:MaxRetryDelay"] = "00:00:00.400",
            ["Deliveries:LeaseDuration"] = "00:00:05",
            // Small blocks, so that a cut in the middle of a file falls between blocks staged and the list committed.
            ["Destinations:BlockSize"] = "65536",
            ["Destinations:Timeout"] = "00:00:05",
        };

        public async ValueTask DisposeAsync()
        {
            var simulator = Portal.Simulator;
            await Driven.DisposeAsync();
            await Portal.DisposeAsync();
            await simulator.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnExportOfThreePartsIsDeliveredToAzuriteAndSftpWithEveryFileAsDownloaded()
    {
        var portal = fixture.Portal;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var blob = await BlobDestinationAsync(portal, container.Name, StorageEngines.AzuriteConnectionString);
        // Made by the writer, as the SFTP user's.
        var directory = SftpServer.NewDirectory();
        var sftp = await SftpDestinationAsync(portal, directory, StorageEngines.Sftp.Fingerprint);
        using var api = await portal.ApiClientForAsync(Owner);

        var created = await api.PostAsJsonAsync(ApiCalls.ExportsPath, new
        {
            timerange = new { from = Rfc3339.Format(Day.From), to = Rfc3339.Format(Day.To) },
            fileformat = "CSV",
            destinations = new[] { blob.ToString(), sftp.ToString() },
        }, Cancellation);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var resource = await created.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
        var exportId = resource.GetProperty("id").GetGuid();
        Assert.Equal(["Pending", "Pending"], resource.GetProperty("deliveries").EnumerateArray().Select(d => d.GetProperty("status").GetString()));

        var deliveries = await DeliveredAsync(portal, exportId, 2);
        var downloads = await DownloadsAsync(portal, exportId);
        Assert.Equal(3, downloads.Count);
        foreach (var delivery in deliveries)
        {
            Assert.Equal(downloads.Keys.Order(), delivery.Files.Select(f => f.Name).Order());
            foreach (var file in delivery.Files)
            {
                var written = delivery.DestinationId == blob
                    ? (await container.GetBlobClient(file.Path).DownloadContentAsync(Cancellation)).Value.Content.ToArray()
                    : await File.ReadAllBytesAsync(Path.Combine(StorageEngines.Sftp.LocalPath(directory), file.Path), Cancellation);
                Assert.Equal(downloads[file.Name], written);
                Assert.Equal(written.Length, file.Bytes);
            }
        }
        // The default template numbers the files from 1.
        Assert.All(deliveries, d => Assert.Equal(["1", "2", "3"],
            d.Files.Select(f => Path.GetFileNameWithoutExtension(f.Path)[(Path.GetFileNameWithoutExtension(f.Path).LastIndexOf('-') + 1)..]).Order()));
        // Nothing but the files: no probe, no temporary name left behind.
        Assert.Equal(3, Directory.EnumerateFiles(StorageEngines.Sftp.LocalPath(directory), "*", SearchOption.AllDirectories).Count());
        Assert.Equal(3, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));

        var read = await api.GetFromJsonAsync<JsonElement>($"{ApiCalls.ExportsPath}/{exportId}", Cancellation);
        var apiDeliveries = read.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.All(apiDeliveries, d => Assert.Equal("Delivered", d.GetProperty("status").GetString()));
        Assert.Equal(3, apiDeliveries[0].GetProperty("files").GetArrayLength());
        Assert.Contains(apiDeliveries, d => d.GetProperty("destinationId").GetGuid() == sftp);

        await using var db = await DbAsync(portal);
        var notices = await db.ExportNotices.Where(n => n.ExportId == exportId).Select(n => n.Text).ToListAsync(Cancellation);
        Assert.Equal(2, notices.Count(n => n.Contains("Delivered to", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ADestinationDownForThreeAttemptsIsDeliveredOnceItIsBack()
    {
        var portal = fixture.Portal;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await using var gate = AzuriteGate();
        gate.Close();
        var destination = await BlobDestinationAsync(portal, container.Name, ThroughGate(gate));
        var exportId = await SubmitAsync(portal, destination);

        await Eventually.ReturnsAsync(() => DeliveryRowAsync(portal, exportId), d => d.Attempts >= 3,
            "three failed attempts", TimeSpan.FromSeconds(60), d => $"{d.Status}, {d.Attempts} attempts: {d.Error}");
        var failing = await DeliveryRowAsync(portal, exportId);
        Assert.NotEqual(DeliveryStatus.Delivered, failing.Status);
        Assert.False(string.IsNullOrWhiteSpace(failing.Error));
        gate.Open();

        var delivery = Assert.Single(await DeliveredAsync(portal, exportId, 1));
        Assert.Equal(3, delivery.Files.Count);
        var downloads = await DownloadsAsync(portal, exportId);
        foreach (var file in delivery.Files)
        {
            Assert.Equal(downloads[file.Name], (await container.GetBlobClient(file.Path).DownloadContentAsync(Cancellation)).Value.Content.ToArray());
        }
    }

    [Fact]
    public async Task AnUploadCutInTheMiddleLeavesNoBlobThatLooksCompleteAndFinishesOnceTheHostIsBack()
    {
        var portal = fixture.Portal;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await using var gate = AzuriteGate();
        // In the second block of the first file (JSON: a few hundred KB a part): the host goes away in the middle of it.
        gate.CutAfterUploadBytes = 100_000;
        var destination = await BlobDestinationAsync(portal, container.Name, ThroughGate(gate));
        var exportId = await SubmitAsync(portal, [destination], Day, FileFormat.Json);

        await Eventually.ReturnsAsync(() => DeliveryRowAsync(portal, exportId), d => d.Attempts >= 1,
            "an attempt cut in the middle", TimeSpan.FromSeconds(60), d => $"{d.Status}, {d.Attempts} attempts: {d.Error}");
        Assert.False(gate.IsOpen);
        // Staged blocks are not a blob: nothing is listed, nothing can be read.
        Assert.Empty(await container.GetBlobsAsync(cancellationToken: Cancellation).ToListAsync(Cancellation));
        gate.Open();

        var delivery = Assert.Single(await DeliveredAsync(portal, exportId, 1));
        var downloads = await DownloadsAsync(portal, exportId);
        Assert.Equal(3, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));
        foreach (var file in delivery.Files)
        {
            Assert.Equal(downloads[file.Name], (await container.GetBlobClient(file.Path).DownloadContentAsync(Cancellation)).Value.Content.ToArray());
        }
    }

    [Fact]
    public async Task AHostStoppedInTheMiddleOfAnUploadLeavesNoBlobAndTheNextHostFinishesTheDelivery()
    {
        var portal = fixture.Driven;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        await using var gate = AzuriteGate();
        var destination = await BlobDestinationAsync(portal, container.Name, ThroughGate(gate));
        var exportId = await SubmitAsync(portal, [destination], Day, FileFormat.Json);
        await portal.WaitForStatusAsync(exportId, ExportStatus.Completed, TimeSpan.FromSeconds(60));

        // The first host stops while its worker is in the middle of the first file (some blocks staged, none committed).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        gate.HoldAfterUploadBytes = gate.Uploaded + 100_000;
        var first = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services).DeliverDueAsync(stopping.Token);
        await Eventually.HoldsAsync(() => gate.Holding || first.IsCompleted, "an upload under way", TimeSpan.FromSeconds(30));
        Assert.False(first.IsCompleted, "the delivery ended before the host stopped");
        await stopping.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        gate.Release();

        Assert.Empty(await container.GetBlobsAsync(cancellationToken: Cancellation).ToListAsync(Cancellation));
        var handedBack = await DeliveryRowAsync(portal, exportId);
        Assert.Equal(DeliveryStatus.Pending, handedBack.Status);
        Assert.Equal(0, handedBack.Attempts);

        // The next host's worker takes it up at once and writes every file whole.
        var second = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services);
        Assert.Equal(1, await second.DeliverDueAsync(Cancellation));
        var delivery = Assert.Single(await DeliveredAsync(portal, exportId, 1));
        var downloads = await DownloadsAsync(portal, exportId);
        Assert.Equal(3, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));
        foreach (var file in delivery.Files)
        {
            Assert.Equal(downloads[file.Name], (await container.GetBlobClient(file.Path).DownloadContentAsync(Cancellation)).Value.Content.ToArray());
        }
    }

    [Fact]
    public async Task TwoWorkersOnOneDatabaseDeliverEachExportToEachDestinationOnce()
    {
        var portal = fixture.Driven;
        var containers = new[] { await StorageEngines.NewContainerAsync(Cancellation), await StorageEngines.NewContainerAsync(Cancellation) };
        var destinations = new[]
        {
            await BlobDestinationAsync(portal, containers[0].Name, StorageEngines.AzuriteConnectionString),
            await BlobDestinationAsync(portal, containers[1].Name, StorageEngines.AzuriteConnectionString),
        };
        var exports = new List<Guid>();
        for (var day = 2; day <= 4; day++)
        {
            exports.Add(await SubmitAsync(portal, destinations, PortalRange(day)));
        }
        foreach (var id in exports)
        {
            await portal.WaitForStatusAsync(id, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        }

        var first = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services);
        var second = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services);
        var claimed = 0;
        await Eventually.HoldsAsync(async () =>
        {
            var claims = await Task.WhenAll(first.DeliverDueAsync(Cancellation), second.DeliverDueAsync(Cancellation));
            claimed += claims.Sum();
            await using var db = await DbAsync(portal);
            return await db.ExportDeliveries.Where(d => exports.Contains(d.ExportId)).AllAsync(d => d.Status == DeliveryStatus.Delivered, Cancellation);
        }, "every delivery delivered", TimeSpan.FromSeconds(60));

        Assert.Equal(6, claimed);
        await using var check = await DbAsync(portal);
        var started = await check.ExportEvents.Where(e => exports.Contains(e.ExportId) && e.DeliveryStatus == DeliveryStatus.Delivering).CountAsync(Cancellation);
        Assert.Equal(6, started);
        foreach (var container in containers)
        {
            Assert.Equal(9, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));
        }
    }

    [Fact]
    public async Task ALinkRefusedBeforeItsStoredExpiryIsRenewedAndTheFilesDelivered()
    {
        var portal = fixture.Driven;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var destination = await BlobDestinationAsync(portal, container.Name, StorageEngines.AzuriteConnectionString);
        var exportId = await SubmitAsync(portal, [destination], PortalRange(5));
        await portal.WaitForStatusAsync(exportId, ExportStatus.Completed, TimeSpan.FromSeconds(60));
        // The portal believes its links good for an hour; the file host's (two seconds) have run out.
        await using (var db = await DbAsync(portal))
        {
            var later = DateTimeOffset.UtcNow.AddHours(1);
            await db.ExportFiles.Where(f => f.ExportId == exportId).ExecuteUpdateAsync(s => s.SetProperty(f => f.UrlExpiresAt, later), Cancellation);
        }
        var expiredLinks = (await portal.RowAsync(exportId)).Files.Select(f => f.Url).ToList();
        using (var http = new HttpClient())
        {
            await Eventually.HoldsAsync(async () =>
            {
                using var answer = await http.GetAsync(expiredLinks[0], HttpCompletionOption.ResponseHeadersRead, Cancellation);
                return answer.StatusCode == HttpStatusCode.Forbidden;
            }, "the stored link to expire at the file host");
        }

        var worker = ActivatorUtilities.CreateInstance<DeliveryWorker>(portal.Services);
        await Eventually.HoldsAsync(async () =>
        {
            await worker.DeliverDueAsync(Cancellation);
            return (await DeliveryRowAsync(portal, exportId)).Status == DeliveryStatus.Delivered;
        }, "the delivery with renewed links", TimeSpan.FromSeconds(30));

        var delivery = await DeliveryRowAsync(portal, exportId);
        Assert.Equal(0, delivery.Attempts);
        Assert.NotEqual(expiredLinks, (await portal.RowAsync(exportId)).Files.Select(f => f.Url).ToList());
        Assert.Equal(3, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));
    }

    [Fact]
    public async Task AWrongHostKeyFailsTheDeliveryAtOnceSayingSo()
    {
        var portal = fixture.Portal;
        var directory = SftpServer.NewDirectory();
        var destination = await SftpDestinationAsync(portal, directory, "SHA256:" + Convert.ToBase64String(new byte[32]).TrimEnd('='));
        var exportId = await SubmitAsync(portal, destination);

        var delivery = await Eventually.ReturnsAsync(() => DeliveryRowAsync(portal, exportId), d => d.Status == DeliveryStatus.Failed,
            "the delivery to fail", TimeSpan.FromSeconds(60), d => $"{d.Status}, {d.Attempts} attempts: {d.Error}");
        Assert.Equal(1, delivery.Attempts);
        Assert.Contains("host key", delivery.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(Directory.Exists(StorageEngines.Sftp.LocalPath(directory)));
    }

    [Fact]
    public async Task AnotherUsersDestinationIsRefusedOnTheExportAndTheSchedule()
    {
        var portal = fixture.Portal;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var theirs = await BlobDestinationAsync(portal, container.Name, StorageEngines.AzuriteConnectionString, Other);
        using var api = await portal.ApiClientForAsync(Owner);

        var created = await api.PostAsJsonAsync(ApiCalls.ExportsPath, new
        {
            timerange = new { from = Rfc3339.Format(Day.From), to = Rfc3339.Format(Day.To) },
            destinations = new[] { theirs.ToString() },
        }, Cancellation);
        var schedule = await api.PostAsJsonAsync("/api/v1/schedules", new { name = "Nightly", timeZone = "UTC", destinations = new[] { theirs.ToString() } }, Cancellation);

        foreach (var answer in new[] { created, schedule })
        {
            Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
            var problem = await answer.Content.ReadFromJsonAsync<JsonElement>(Cancellation);
            Assert.Equal($"Destination {theirs} was not found.", problem.GetProperty("errors").GetProperty("destinations")[0].GetString());
        }
        await using var db = await DbAsync(portal);
        Assert.False(await db.ExportDeliveries.AnyAsync(d => d.DestinationId == theirs, Cancellation));
    }

    [Fact]
    public async Task AScheduleRunIsDeliveredToTheSchedulesDestination()
    {
        var portal = fixture.Portal;
        var container = await StorageEngines.NewContainerAsync(Cancellation);
        var destination = await BlobDestinationAsync(portal, container.Name, StorageEngines.AzuriteConnectionString);
        var schedules = portal.Services.CreateScope().ServiceProvider.GetRequiredService<IScheduleService>();
        var saved = Assert.IsType<ScheduleOutcome.Saved>(await schedules.CreateAsync(Owner,
            new ScheduleInput { Name = "Nightly to storage", TimeZoneId = "UTC", Destinations = [destination] }, Cancellation));
        Assert.Equal([destination], saved.Schedule.Destinations);
        await using (var db = await DbAsync(portal))
        {
            // The latest of its occurrences (daily at 06:00 UTC) that has passed: due now.
            var today = new DateTimeOffset(DateTime.UtcNow.Date.AddHours(6), TimeSpan.Zero);
            var due = today <= DateTimeOffset.UtcNow ? today : today.AddDays(-1);
            await db.Schedules.Where(s => s.Id == saved.Schedule.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.NextRunAt, due), Cancellation);
        }
        portal.Services.GetRequiredService<ExportScheduler>().Wake();

        var run = await Eventually.ReturnsAsync(async () =>
        {
            await using var db = await DbAsync(portal);
            return await db.ScheduleRuns.AsNoTracking().Where(r => r.ScheduleId == saved.Schedule.Id).FirstOrDefaultAsync(Cancellation);
        }, run => run is not null, "the schedule's run", TimeSpan.FromSeconds(30));
        Assert.True(run!.ExportId is not null, run.Error);

        var delivery = Assert.Single(await DeliveredAsync(portal, run.ExportId.Value, 1));
        Assert.Equal(destination, delivery.DestinationId);
        Assert.Equal(3, await container.GetBlobsAsync(cancellationToken: Cancellation).CountAsync(Cancellation));
    }

    private static TimeRange Day => PortalRange(2);

    private static TimeRange PortalRange(int daysAgo)
    {
        var day = DateTime.UtcNow.Date.AddDays(-daysAgo);
        return new TimeRange(new DateTimeOffset(day, TimeSpan.Zero), new DateTimeOffset(day.AddDays(1), TimeSpan.Zero));
    }

    private static TcpGate AzuriteGate()
    {
        var endpoint = Regex.Match(StorageEngines.AzuriteConnectionString, @"BlobEndpoint=https?://([^:/]+):(\d+)/");
        return TcpGate.For(endpoint.Groups[1].Value, int.Parse(endpoint.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string ThroughGate(TcpGate gate) =>
        Regex.Replace(StorageEngines.AzuriteConnectionString, @"(BlobEndpoint=https?://[^:/]+:)\d+/", m => $"{m.Groups[1].Value}{gate.Port}/");

    private static async Task<Guid> BlobDestinationAsync(PortalFactory portal, string container, string connectionString, ExportUser? owner = null)
    {
        var outcome = await portal.Services.GetRequiredService<DestinationService>().CreateAsync(owner ?? Owner,
            new DestinationInput($"Blob {container}", "azure-blob", connectionString, null, container, null, null, null, null, null, null, null, null), Cancellation);
        return Assert.IsType<DestinationRegistration.Created>(outcome).Destination.Id;
    }

    private static async Task<Guid> SftpDestinationAsync(PortalFactory portal, string directory, string fingerprint)
    {
        var sftp = StorageEngines.Sftp;
        var outcome = await portal.Services.GetRequiredService<DestinationService>().CreateAsync(Owner,
            new DestinationInput($"SFTP {directory}", "sftp", null, null, null, sftp.Host, sftp.Port, sftp.User, sftp.Password, null, fingerprint, directory, null), Cancellation);
        return Assert.IsType<DestinationRegistration.Created>(outcome).Destination.Id;
    }

    private static Task<Guid> SubmitAsync(PortalFactory portal, Guid destination) => SubmitAsync(portal, [destination], Day);

    /// <summary>A new export (a fresh name, so no earlier one is reused) delivered to <paramref name="destinations"/>.</summary>
    private static async Task<Guid> SubmitAsync(PortalFactory portal, IReadOnlyList<Guid> destinations, TimeRange range, FileFormat format = FileFormat.Csv)
    {
        using var scope = portal.Services.CreateScope();
        var outcome = await scope.ServiceProvider.GetRequiredService<IExportSubmissions>()
            .SubmitWithKeyAsync(Owner, range, format, idempotencyKey: null, name: $"Delivery {Guid.NewGuid():N}", destinations, Cancellation);
        return Assert.IsType<SubmitOutcome.Accepted>(outcome).Export.Id;
    }

    private static async Task<ExportDelivery> DeliveryRowAsync(PortalFactory portal, Guid exportId)
    {
        await using var db = await DbAsync(portal);
        return await db.ExportDeliveries.AsNoTracking().SingleAsync(d => d.ExportId == exportId, Cancellation);
    }

    private static Task<IReadOnlyList<DeliveryInfo>> DeliveredAsync(PortalFactory portal, Guid exportId, int count) =>
        Eventually.ReturnsAsync(
            () => portal.Services.GetRequiredService<ExportDeliveries>().ListAsync(Owner, exportId, Cancellation),
            list => list.Count == count && list.All(d => d.Status == "Delivered"),
            $"{count} deliveries of export {exportId}",
            TimeSpan.FromSeconds(90),
            list => string.Join("; ", list.Select(d => $"{d.DestinationName}: {d.Status}, {d.Attempts} attempts, {d.Error}")));

    /// <summary>Every file of the export as its owner downloads it, by name.</summary>
    private static async Task<Dictionary<string, byte[]>> DownloadsAsync(PortalFactory portal, Guid exportId)
    {
        using var scope = portal.Services.CreateScope();
        var files = await scope.ServiceProvider.GetRequiredService<IDownloadLinks>().GetFilesAsync(Owner, exportId, "Test", Cancellation);
        Assert.NotNull(files);
        using var http = new HttpClient();
        var downloads = new Dictionary<string, byte[]>();
        foreach (var file in files.Files)
        {
            downloads[file.Name] = await http.GetByteArrayAsync(file.Url, Cancellation);
        }
        return downloads;
    }

    private static Task<PortalDbContext> DbAsync(PortalFactory portal) =>
        portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation);
}
