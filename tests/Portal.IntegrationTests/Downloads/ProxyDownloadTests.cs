using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Exports;
using static Portal.IntegrationTests.Exports.ExportFlowTests;

namespace Portal.IntegrationTests.Downloads;

/// <summary>Measures the process's allocations, so it runs alone.</summary>
[CollectionDefinition(nameof(ProxyDownloadTests), DisableParallelization = true)]
public sealed class ProxyDownloadGroup;

/// <summary>
/// <c>Downloads:Mode=Proxy</c> on the real engine: the simulator completes the export and signs links that point at
/// <see cref="FileHost"/>, which stands in for the vendor's file storage.
/// </summary>
[Collection(nameof(ProxyDownloadTests))]
public sealed class ProxyDownloadTests : IAsyncLifetime
{
    private const long LargeFile = 200L * 1024 * 1024;

    private static readonly ExportUser Owner = User("Paula");

    private FileHost _files = default!;
    private PortalFactory _portal = default!;
    private Guid _exportId;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _files = await FileHost.StartAsync(LargeFile, Cancellation);
        _portal = await PortalFactory.StartAsync(
            options => options.DownloadBaseUrl = _files.BaseAddress.ToString(),
            new Dictionary<string, string?>
            {
                ["Downloads:Mode"] = "Proxy",
                ["Downloads:AllowedHosts:0"] = _files.BaseAddress.Authority,
            });
        _exportId = await _portal.CompletedExportAsync(Owner);
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _files.DisposeAsync();
    }

    [Fact]
    public async Task StreamsALargeFileWithFlatMemory()
    {
        using var client = _portal.ClientFor(Owner);
        var buffer = new byte[81920];
        // Warm up the host and its pools so the measurement sees only the transfer.
        using (var warmUp = new HttpRequestMessage(HttpMethod.Get, Downloading.FilePath(_exportId)))
        {
            warmUp.Headers.Range = new RangeHeaderValue(0, 1023);
            using var response = await client.SendAsync(warmUp, Cancellation);
            response.EnsureSuccessStatusCode();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        using var download = await client.GetAsync(Downloading.FilePath(_exportId), HttpCompletionOption.ResponseHeadersRead, Cancellation);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(LargeFile, download.Content.Headers.ContentLength);
        await using var body = await download.Content.ReadAsStreamAsync(Cancellation);
        long received = 0;
        var intact = true;
        int read;
        while ((read = await body.ReadAsync(buffer, Cancellation)) > 0)
        {
            // Spot-check the content: the generator's byte i is i % 251.
            intact &= buffer[0] == (byte)(received % 251) && buffer[read - 1] == (byte)((received + read - 1) % 251);
            received += read;
        }
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(LargeFile, received);
        Assert.True(intact, "the streamed bytes match the file's");
        // Buffering the file anywhere in the portal would allocate at least its size; streaming needs a small fraction.
        Assert.True(allocated < LargeFile / 4, $"{allocated:N0} bytes allocated while streaming {LargeFile:N0}");
    }

    [Fact]
    public async Task ForwardsARangeCopiesTheFilesHeadersAndRecordsTheDownload()
    {
        using var client = _portal.ClientFor(Owner);
        using var request = new HttpRequestMessage(HttpMethod.Get, Downloading.FilePath(_exportId));
        request.Headers.Range = new RangeHeaderValue(1000, 1099);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(100, response.Content.Headers.ContentLength);
        Assert.Equal($"bytes 1000-1099/{LargeFile}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(await ExpectedNameAsync(_portal, _exportId), response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(FileHost.ETag, response.Headers.ETag?.ToString());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var bytes = await response.Content.ReadAsByteArrayAsync(Cancellation);
        Assert.Equal(Enumerable.Range(1000, 100).Select(i => (byte)(i % 251)), bytes);
        Assert.Contains((await _portal.RowAsync(_exportId)).Events, e => e.Actor == Owner.Name && e.Detail == "Downloaded part-00000.csv.");
    }

    [Fact]
    public async Task AFileTheHostCallsHtmlIsAnAttachmentWithTheSandboxPolicyAndNoSniffing()
    {
        _files.ContentType = "text/html; charset=utf-8";
        _files.Disposition = "inline";
        using var client = _portal.ClientFor(Owner);
        using var request = new HttpRequestMessage(HttpMethod.Get, Downloading.FilePath(_exportId));
        request.Headers.Range = new RangeHeaderValue(0, 99);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal(await ExpectedNameAsync(_portal, _exportId), disposition.FileName?.Trim('"'));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnotherUserGetsNotFoundAndTheFileHostIsNotAsked()
    {
        using var client = _portal.ClientFor(User("Bruno"));
        var before = _files.Requests;

        using var response = await client.GetAsync(Downloading.FilePath(_exportId), Cancellation);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.NotEqual("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, _files.Requests);
    }

    [Fact]
    public async Task AFileHostThatIsNotAllowedIsRefusedBeforeAnyRequestLeaves()
    {
        await using var elsewhere = await PortalFactory.StartAsync(
            simulator: _portal.Simulator,
            settings: new Dictionary<string, string?>
            {
                ["Downloads:Mode"] = "Proxy",
                ["Downloads:AllowedHosts:0"] = "files.example.test",
            });
        var id = await elsewhere.CompletedExportAsync(Owner);
        using var client = elsewhere.ClientFor(Owner);
        var before = _files.Requests;

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(before, _files.Requests);
    }

    [Fact]
    public async Task WithoutFileHostsTheUpstreamsOwnFilesAreStreamed()
    {
        await using var portal = await PortalFactory.StartAsync(settings: new Dictionary<string, string?> { ["Downloads:Mode"] = "Proxy" });
        var id = await portal.CompletedExportAsync(Owner);
        using var client = portal.ClientFor(Owner);

        using var response = await client.GetAsync(Downloading.FilePath(id), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await ExpectedNameAsync(portal, id), response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var csv = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.Equal(3 * 1440 + 1, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task AVendorNameThatClimbsOutOfItsFolderComesOutAsAPlainName()
    {
        // The vendor's name is taken from its URL, percent-decoded: "..%2F..%2Fx.csv" arrives as "../../x.csv".
        await using (var db = await _portal.Services.GetRequiredService<IDbContextFactory<PortalDbContext>>().CreateDbContextAsync(Cancellation))
        {
            await db.ExportFiles.Where(f => f.ExportId == _exportId).ExecuteUpdateAsync(s => s.SetProperty(f => f.Name, "../../x\u0007.csv"), Cancellation);
        }
        using var client = _portal.ClientFor(Owner);
        using var request = new HttpRequestMessage(HttpMethod.Get, Downloading.FilePath(_exportId));
        request.Headers.Range = new RangeHeaderValue(0, 9);

        using var response = await client.SendAsync(request, Cancellation);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var row = await _portal.RowAsync(_exportId);
        Assert.Equal($"device-status_CSV_{Stamp(row.RangeFrom)}_{Stamp(row.RangeTo)}_x.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    /// <summary>The name a single file of the export is saved under: format, range in UTC, the vendor's part name.</summary>
    private static async Task<string> ExpectedNameAsync(PortalFactory portal, Guid id)
    {
        var row = await portal.RowAsync(id);
        return $"device-status_CSV_{Stamp(row.RangeFrom)}_{Stamp(row.RangeTo)}_part-00000.csv";
    }

    private static string Stamp(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HHmm'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
