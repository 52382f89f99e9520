using System.Net;
using System.Net.Http.Headers;

namespace Portal.IntegrationTests.Downloads;

/// <summary>Measures the process's allocations, so it runs alone.</summary>
[CollectionDefinition(nameof(ProxyDownloadTests), DisableParallelization = true)]
public sealed class ProxyDownloadGroup;

[Collection(nameof(ProxyDownloadTests))]
public sealed class ProxyDownloadTests : IAsyncLifetime
{
    private const long LargeFile = 200L * 1024 * 1024;

    private FileHost _files = default!;
    private DownloadsFactory _portal = default!;

    public async ValueTask InitializeAsync()
    {
        _files = await FileHost.StartAsync(LargeFile, TestContext.Current.CancellationToken);
        _portal = new DownloadsFactory();
        _portal.Settings["Downloads:Mode"] = "Proxy";
        _portal.Settings["Downloads:AllowedHosts:0"] = _files.BaseAddress.Authority;
        _portal.Exports.FileBase = _files.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _files.DisposeAsync();
    }

    private string FileUrl => $"/exports/{_portal.Exports.ExportId}/files/0";

    [Fact]
    public async Task StreamsALargeFileWithFlatMemory()
    {
        using var client = _portal.CreateClientFor(DownloadExportService.Owner);
        var buffer = new byte[81920];
        // Warm up the host and its pools so the measurement sees only the transfer.
        using (var warmUp = new HttpRequestMessage(HttpMethod.Get, FileUrl))
        {
            warmUp.Headers.Range = new RangeHeaderValue(0, 1023);
            using var response = await client.SendAsync(warmUp, TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        using var download = await client.GetAsync(FileUrl, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(LargeFile, download.Content.Headers.ContentLength);
        await using var body = await download.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        long received = 0;
        var intact = true;
        int read;
        while ((read = await body.ReadAsync(buffer, TestContext.Current.CancellationToken)) > 0)
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
    public async Task CopiesTheFilesHeadersAndKeepsTheLinkToItself()
    {
        using var client = _portal.CreateClientFor(DownloadExportService.Owner);
        using var request = new HttpRequestMessage(HttpMethod.Get, FileUrl);
        request.Headers.Range = new RangeHeaderValue(1000, 1099);

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(100, response.Content.Headers.ContentLength);
        Assert.Equal($"bytes 1000-1099/{LargeFile}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal("part-00000.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(FileHost.ETag, response.Headers.ETag?.ToString());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Enumerable.Range(1000, 100).Select(i => (byte)(i % 251)), bytes);
    }

    [Fact]
    public async Task AnotherUserGetsNotFoundAndNoBytes()
    {
        using var client = _portal.CreateClientFor("bob");

        using var response = await client.GetAsync(FileUrl, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentDisposition);
        Assert.NotEqual("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(_portal.Exports.LastIssued);
    }

    [Fact]
    public async Task RefusesAFileHostThatIsNotAllowed()
    {
        _portal.Exports.FileBase = new Uri("http://127.0.0.2:9/results/");
        using var client = _portal.CreateClientFor(DownloadExportService.Owner);

        using var response = await client.GetAsync(FileUrl, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }
}
